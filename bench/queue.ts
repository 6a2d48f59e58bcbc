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
  const child = async (latencyMs: number) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--conditions=import',
        '--import',
        'tsx',
        join(__dirname, 'support', 'queue-child.ts'),
        String(JOBS),
        String(latencyMs),
        String(CONCURRENCY),
      ],
      { maxBuffer: 1 << 20 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { wallMs: number; completed: number; inFlight: number };
  };
  const { wallMs, completed, inFlight } = await child(LATENCY_MS);
  // The same jobs with an instant gateway: the main thread's own work per job (app and stand-in together).
  const instant = await child(0);
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
      `| main-thread work per job (the same ${JOBS} jobs, gateway answering at once) | ${(instant.wallMs / JOBS).toFixed(2)} ms | |`,
      `| jobs completed / reservations left in flight | ${completed} / ${inFlight} | ${JOBS} / 0 |`,
      '',
      "One thread runs the app and the stand-in: each round of 8 calls waits for 8 jobs' main-thread work besides its 50 ms, so the",
      'run is over the ideal by about 8 × that work / 50 ms; the 5 % target needs at most ~0.3 ms of work per job.',
    ].join('\n');
  }
}
