/**
 * Queue section of BENCHMARKS.md (issue 15): 1,000 queued mini-worker run_jobs against the scripted
 * gateway (the stand-in for the provider) answering each call after 50 ms, with the engine's
 * concurrency cap at 8. The ideal is 1,000 × 50 ms / 8 = 6.25 s; the target is to finish within
 * 5 % of it. The engine's overhead per job is what the run took beyond the ideal, per job and per
 * slot: (wall − ideal) × 8 / 1,000. Each job goes through the whole path: JobService checks, the
 * engine's queue, the metered call (reserve, call, settle on an in-memory ledger), the job's
 * ledger rows. The ideal counts the gateway's 50 ms as the only cost, so the stand-in is
 * measured both on the app's thread (as the tests run it) and in a process of its own (as a real
 * provider runs elsewhere), each right after start and warm; a run of plain HTTP requests with no
 * app gives the floor of the machine and the HTTP client. Run with `npx tsx bench/run.ts queue`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { cpuMark, machine, stealSince } from './run';

/** The marker name of this section in BENCHMARKS.md. */
export const section = 'queue';

const JOBS = 1000;
const LATENCY_MS = 50;
const CONCURRENCY = 8;
/** Untimed jobs before a warm run: as many as are timed, so V8 has optimized the path (a worker serving an agent is warm). */
const WARM_JOBS = JOBS;

interface Measured {
  wallMs: number;
  cpuMs: number;
  completed: number;
  inFlight: number;
}

interface Run {
  label: string;
  gateway: 'same' | 'separate' | 'bare';
  warmup: number;
}

const RUNS: Run[] = [
  { label: 'stand-in on the app thread, right after start', gateway: 'same', warmup: CONCURRENCY },
  { label: 'stand-in in its own process, right after start', gateway: 'separate', warmup: CONCURRENCY },
  { label: `stand-in on the app thread, warm (after ${WARM_JOBS} untimed jobs)`, gateway: 'same', warmup: WARM_JOBS },
  {
    label: `**stand-in in its own process, warm (after ${WARM_JOBS} untimed jobs)**`,
    gateway: 'separate',
    warmup: WARM_JOBS,
  },
  {
    label: `floor: no app, ${CONCURRENCY} loops of plain undici POSTs to the stand-in in its own process, warm`,
    gateway: 'bare',
    warmup: WARM_JOBS,
  },
];

async function child(run: Run): Promise<Measured> {
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
      run.gateway,
      String(run.warmup),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measured;
}

/** Runs the bench; returns the section's Markdown. */
export async function run(log: (line: string) => void): Promise<string> {
  const mark = cpuMark();
  log(`${JOBS} jobs, ${LATENCY_MS} ms each, concurrency ${CONCURRENCY}`);
  const idealMs = (JOBS * LATENCY_MS) / CONCURRENCY;
  const rows: string[] = [];
  const over: number[] = [];
  const cpuPerJob: number[] = [];
  for (const r of RUNS) {
    const m = await child(r);
    log(`${r.gateway}, warm-up ${r.warmup}: ${(m.wallMs / 1000).toFixed(2)} s`);
    if (m.completed !== JOBS) throw new Error(`${r.label}: ${JOBS - m.completed} of ${JOBS} jobs did not complete`);
    if (m.inFlight !== 0) throw new Error(`${r.label}: ${m.inFlight} reservations left in flight`);
    const o = m.wallMs / idealMs - 1;
    over.push(o);
    cpuPerJob.push(m.cpuMs / JOBS);
    const perSlotMs = ((m.wallMs - idealMs) * CONCURRENCY) / JOBS;
    rows.push(
      `| ${r.label} | ${(m.wallMs / 1000).toFixed(2)} s | ${(o * 100).toFixed(1)} % (${o <= 0.05 ? 'met' : 'missed'}) | ${perSlotMs.toFixed(2)} ms | ${(m.cpuMs / JOBS).toFixed(2)} ms |`,
    );
  }
  const [, , , headline, floor] = over as [number, number, number, number, number];
  const appCpuMs = cpuPerJob[3]!;
  const floorCpuMs = cpuPerJob[4]!;
  return [
    '## Queue: 1,000 mini jobs',
    '',
    `Command: \`npx tsx bench/run.ts queue\`. Machine: ${machine()}. ${stealSince(mark)}; load average (1 min) at the end: ${loadavg()[0]!.toFixed(1)}.`,
    '',
    `Setup: ${JOBS} \`run_job\` (mini-worker) calls at once through JobService, the engine's queue (MAX_OPENAI_CONCURRENCY=${CONCURRENCY})`,
    `and the metered call, on an in-memory ledger; the scripted gateway (stand-in, strict) answers each after ${LATENCY_MS} ms.`,
    `Ideal: ${JOBS} × ${LATENCY_MS} ms / ${CONCURRENCY} = ${(idealMs / 1000).toFixed(2)} s; target ≤ 5 % over it. Every run completed all ${JOBS} jobs and left no reservation in flight.`,
    '',
    '| run | wall time | over the ideal (≤ 5 %) | overhead per job, per slot | CPU time per job |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    "Overhead per job, per slot: (wall − ideal) × 8 / 1,000. CPU time per job: the measuring process's user + system time",
    '(all its threads: main, GC, JIT compiler) over the timed span, divided by the jobs; with the stand-in on the app thread',
    "it includes the stand-in's own work (request parsing, strict checks, JSON encoding). The bold row is the closest to a",
    `deployment (the provider elsewhere, a worker that has run for a while): ${(headline * 100).toFixed(1)} % over the ideal,`,
    `against ${(floor * 100).toFixed(1)} % for plain HTTP requests with no app at all on the same machine in the same minute.`,
    '',
    "Why the app's share is not smaller: the 8 jobs in flight share one thread, and each job's path around its call is a",
    'chain of awaited steps: five ledger write transactions (create, running, reserve, settle, final), each its own atomic',
    'write, and four reads (budget left, breaker twice, the job), six price-table lookups, the HTTP client. Jobs whose',
    'answers arrive together interleave step by step and finish together, so a round of 8 calls takes 50 ms plus about 8',
    "jobs' work, not one job's: within 5 % needs at most about 0.3 ms of the app's own work per job (8 × 0.3 ms ≈ 5 % of",
    `50 ms). Warm, the app took ${(appCpuMs - floorCpuMs).toFixed(2)} ms of CPU per job more than the plain requests of the floor row`,
    '(bold row minus floor row), several times that bound. A CPU profile of the warm path (2026-12-03, stand-in in its own',
    'process) puts about 40 % of it in the ledger (an atomic write per state change: the budget guarantees), about 15 %',
    'in the price table (the worst case priced before the call, the real cost and the savings reference after it), and',
    "the rest in the HTTP client's wrapping (timeout, abort, retry, the breaker's guard), redaction, result and receipt",
    'shaping, and GC: no single part whose removal would reach the bound. Right after start V8 has not yet optimized the',
    'path (compare the CPU column). Wall times vary by tens of percent when other work shares the 2 CPUs (the load',
    'average above); CPU time per job varies less.',
    '',
    "Fixed on the way (2026-12-03): JobService's budget check before each job read the whole get_spend_stats summary, which",
    'sums over every job of the month: 5.8 ms at 1,000 jobs in the ledger, 44 ms at 10,000 (in-memory, one call). It reads',
    '`Ledger.budgetLeft` now (hourly totals and reservations: under 0.04 ms at any size); before that, the warm rows took',
    '15.7–27.8 s with 10–11 ms of CPU per job. A job is also created with its forecast in one write (47 SQL statements',
    'and five write transactions per job, from 64 and six).',
  ].join('\n');
}
