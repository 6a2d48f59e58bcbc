/**
 * Queue section of BENCHMARKS.md (issue 15): 1,000 queued mini-worker run_jobs against the scripted
 * gateway (the stand-in for the provider) answering each call after 50 ms, with the engine's
 * concurrency cap at 8. The ideal is 1,000 × 50 ms / 8 = 6.25 s; the target is to finish within
 * 5 % of it. The engine's overhead per job is what the run took beyond the ideal, per job and per
 * slot: (wall − ideal) × 8 / 1,000. Each job goes through the whole path: JobService checks, the
 * engine's queue, the metered call (reserve, call, settle on an in-memory ledger), the job's
 * ledger rows. Run with `npx tsx bench/run.ts queue`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cpuMark, machine, stealSince } from './run';

/** The marker name of this section in BENCHMARKS.md. */
export const section = 'queue';

const JOBS = 1000;
const LATENCY_MS = 50;
const CONCURRENCY = 8;

/** Runs the bench; returns the section's Markdown. */
export async function run(log: (line: string) => void): Promise<string> {
  const mark = cpuMark();
  log(`${JOBS} jobs, ${LATENCY_MS} ms each, concurrency ${CONCURRENCY}`);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--conditions=import',
      '--import',
      'tsx',
      join(__dirname, 'support', 'queue-child.ts'),
      String(JOBS),
      String(LATENCY_MS),
      String(CONCURRENCY),
    ],
    { maxBuffer: 1 << 20 },
  );
  const { wallMs, completed, inFlight } = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    wallMs: number;
    completed: number;
    inFlight: number;
  };
  if (completed !== JOBS) throw new Error(`${JOBS - completed} of ${JOBS} jobs did not complete`);
  {
    const idealMs = (JOBS * LATENCY_MS) / CONCURRENCY;
    const over = wallMs / idealMs - 1;
    const perJobMs = ((wallMs - idealMs) * CONCURRENCY) / JOBS;
    return [
      '## Queue: 1,000 mini jobs',
      '',
      `Command: \`npx tsx bench/run.ts queue\`. Machine: ${machine()}. ${stealSince(mark)}.`,
      '',
      `Setup: ${JOBS} \`run_job\` (mini-worker) calls at once through JobService, the engine's queue (MAX_OPENAI_CONCURRENCY=${CONCURRENCY})`,
      `and the metered call, on an in-memory ledger; the scripted gateway (stand-in) answers each after ${LATENCY_MS} ms.`,
      '',
      '| measure | value | target |',
      '| --- | --- | --- |',
      `| wall time | **${(wallMs / 1000).toFixed(2)} s** | ideal ${(idealMs / 1000).toFixed(2)} s |`,
      `| over the ideal | **${(over * 100).toFixed(1)} %** | ≤ 5 %: ${over <= 0.05 ? 'met' : 'missed'} |`,
      `| engine overhead per job (per slot) | ${perJobMs.toFixed(2)} ms | |`,
      `| jobs completed / reservations left in flight | ${completed} / ${inFlight} | ${JOBS} / 0 |`,
    ].join('\n');
  }
}
