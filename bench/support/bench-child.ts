/**
 * What the adapter benchmark's server processes (adapter-bench-server.ts, bare-proxy.ts) share:
 * their command-line flags and the ledger they meter against.
 */
import { openLedger, openMemoryLedger, type HostLedger } from '../../src/ledger/sqlite-ledger';

/** The value after `--name` on this process's command line, or undefined. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The job every benchmark call is metered to (gateway model `bench-model`). */
export const BENCH_JOB = { jobId: 'bench', model: 'bench-model' };

/**
 * A ledger holding the running job BENCH_JOB, with caps no benchmark reaches: `file:<path>` the
 * file-backed one (the path must not hold a ledger yet), anything else the in-memory one.
 */
export async function openBenchLedger(where: string): Promise<HostLedger> {
  const caps = { monthlyMicros: 1_000_000_000_000, dailyMicros: null };
  const ledger = where.startsWith('file:')
    ? await openLedger(where.slice(5), { caps })
    : await openMemoryLedger({ caps });
  await ledger.createJob({
    id: BENCH_JOB.jobId,
    kind: 'claude-code',
    model: BENCH_JOB.model,
    request: {},
    status: 'running',
  });
  return ledger;
}
