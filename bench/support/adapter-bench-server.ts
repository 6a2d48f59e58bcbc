/**
 * Child process of the adapter benchmark: Offload's adapter exactly as the app builds it
 * (startAdapterServer + createUpstream + createLedgerMeter over a ledger), pointed at the
 * benchmark's scripted gateway. `--ledger memory` (default) uses the in-memory sql.js ledger;
 * `--ledger file:<path>` the file-backed one with its cross-process lock, as jobs use it;
 * `--ledger none` a meter that prices each call but holds nothing (the adapter's own cost).
 * Prints `{"url": …, "key": …}` on stdout. On the IPC message "mem" it runs full GCs, lets V8's
 * ArrayBuffer sweeper finish, and answers process.memoryUsage() (start with --expose-gc).
 */
import { createLedgerMeter } from '../../src/adapter/ledger-meter';
import { meteredCall } from '../../src/adapter/metered-call';
import type { Meter } from '../../src/adapter/meter';
import { startAdapterServer } from '../../src/adapter/server';
import { createUpstream } from '../../src/adapter/upstream';
import { PriceBook } from '../../src/core/pricing';
import { arg, BENCH_JOB, openBenchLedger } from './bench-child';

async function main(): Promise<void> {
  const gateway = arg('gateway') ?? '';
  const where = arg('ledger') ?? 'memory';
  const ledger = await openBenchLedger(where);
  const prices = new PriceBook({ [BENCH_JOB.model]: { input_mtok: 0.27, output_mtok: 1.1 } });
  const ledgerMeter = createLedgerMeter(ledger, prices);
  const job = BENCH_JOB;
  const key = ledgerMeter.register(job);
  // meteredCall over a ledger port that holds nothing: the adapter's own cost of metering, without the ledger's.
  const nothingHeld = {
    reserve: async () => ({
      id: 'none',
      jobId: job.jobId,
      model: job.model,
      micros: 0,
      createdAt: 0,
      pid: process.pid,
    }),
    settle: async () => {},
    release: async () => {},
  };
  const noLedger: Meter = {
    authorize: (k) => (k === key ? job : undefined),
    call: (j, spec, metrics, send) =>
      meteredCall({ ledger: nothingHeld, prices, clock: Date.now, metrics }, { ...spec, jobId: j.jobId }, send),
  };
  const meter = where === 'none' ? noLedger : ledgerMeter;
  const adapter = await startAdapterServer({
    meter,
    upstream: createUpstream({ primary: { baseURL: gateway, apiKey: 'bench' } }),
    perJobTokenLimit: 8192,
  });
  process.on('message', (m) => {
    if (m !== 'mem') return;
    // Two full GCs 100 ms apart, then 100 ms more: V8 frees ArrayBuffers in a sweeper that runs after the GC, and until it has,
    // `external` still counts buffers already dead (measured: a whole body per held stream right after one GC, none after this).
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    setTimeout(() => {
      gc?.();
      setTimeout(() => process.send?.(process.memoryUsage()), 100);
    }, 100);
  });
  process.stdout.write(`${JSON.stringify({ url: adapter.url, key })}\n`);
  process.on(
    'SIGTERM',
    () =>
      void adapter
        .close()
        .then(() => ledger.close())
        .then(() => process.exit(0)),
  );
}

void main();
