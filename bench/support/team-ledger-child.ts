/**
 * One of the team-ledger bench's 8 contending processes: from `--start` (epoch ms, so every process
 * begins together after its start-up) runs `--calls` paid calls' bookkeeping (reserve + settle) on
 * `--concurrency` loops against one shared budget, then prints `{"calls":n,"startMs":…,"endMs":…}`.
 * `--ledger` is a postgres:// URL (the team ledger) or a file path (the sql.js file ledger).
 */
import { openPostgresLedger } from '../../src/ledger/postgres/open';
import { openLedger, type HostLedger } from '../../src/ledger/sqlite-ledger';
import { arg } from './bench-child';

const CAPS = { monthlyMicros: 1e12, dailyMicros: null };
const SETTLE = {
  model: 'gpt-4o-mini',
  usage: { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 },
  costMicros: 210,
  status: 'ok',
};
const NO_VELOCITY = { velocityPct: 0, velocityWindowMs: 3_600_000, failureThreshold: 5, cooldownMs: 60_000 };

async function main(): Promise<void> {
  const where = arg('ledger')!;
  const calls = Number(arg('calls'));
  const concurrency = Number(arg('concurrency'));
  const member = arg('member') ?? `bench-${process.pid}`;
  const opts = { caps: CAPS, breaker: NO_VELOCITY, identity: { member, machine: `machine-${process.pid % 2}` } };
  const ledger: HostLedger = /^postgres(ql)?:/.test(where)
    ? await openPostgresLedger(where, { ...opts, poolSize: concurrency + 1 })
    : await openLedger(where, opts);
  const jobId = `bench-${process.pid}`;
  await ledger.createJob({ id: jobId, kind: 'llm', model: 'gpt-4o-mini', request: null, status: 'running' });
  await new Promise((r) => setTimeout(r, Math.max(0, Number(arg('start')) - Date.now())));
  const startMs = Date.now();
  let left = calls;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const r = await ledger.reserve({ jobId, model: 'gpt-4o-mini', micros: 5000 });
        await ledger.settle(r.id, SETTLE);
      }
    }),
  );
  const endMs = Date.now();
  await ledger.close();
  process.stdout.write(`${JSON.stringify({ calls, startMs, endMs })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
