/**
 * Ledger section of BENCHMARKS.md: what one paid call costs the ledger (reserve + settle, each a
 * locked, caught-up transaction appended to the shared file's journal) with 10k and 100k
 * jobs of history, the cold open of a 100k-job ledger, and the file size per 100k jobs.
 * Run with `npm run bench` (or `npx tsx bench/ledger.ts` via `npx tsx bench/run.ts ledger`).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { migrate } from '../src/ledger/migrations';
import { openLedger } from '../src/ledger/sqlite-ledger';
import { loadSqlJs, openDatabase } from '../src/ledger/sqljs';
import { machine } from './run';

/** The marker name of this section in BENCHMARKS.md. */
export const section = 'ledger';

const CAPS = { monthlyMicros: 1e12, dailyMicros: null };
const REQUEST = JSON.stringify({ agent: 'mini-worker', task: 'Summarize src/feature.ts for the changelog in two sentences.', input_refs: ['/home/me/proj/src/feature.ts'] });
const RESULT = JSON.stringify({ output: 'x'.repeat(400), finish_reason: 'stop', agent: 'mini-worker' });

/** Writes a ledger file with `jobs` finished jobs, one model call each, spread over the last 60 days. */
async function makeLedger(path: string, jobs: number): Promise<void> {
  const db = openDatabase(await loadSqlJs());
  migrate(db);
  const now = Date.now();
  db.run('BEGIN');
  const job = db.prepare('INSERT INTO jobs (id, kind, status, agent, model, request_json, result_json, error, created_at, updated_at, max_cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL)');
  const call = db.prepare('INSERT INTO model_calls (job_id, reservation_id, model, input_tokens, output_tokens, cache_read_tokens, cost_micros, status, route, latency_ms, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)');
  for (let i = 0; i < jobs; i++) {
    const at = now - Math.floor((i / jobs) * 60 * 86_400_000);
    const id = `job-${i.toString(36).padStart(8, '0')}-${'0'.repeat(24)}`;
    job.run([id, 'llm', 'completed', 'mini-worker', 'gpt-4o-mini', REQUEST, RESULT, at, at]);
    call.run([id, `res-${i}`, 'gpt-4o-mini', 1200, 150, 270, 'ok', 'primary', 900, at]);
  }
  job.free();
  call.free();
  // The ledger keeps hourly totals beside the calls (schema v6); fill them as its migration does.
  db.run('INSERT INTO spend_hours (hour_start, cost_micros) SELECT (created_at / 3600000) * 3600000, SUM(cost_micros) FROM model_calls GROUP BY 1');
  db.run('COMMIT');
  writeFileSync(path, db.export());
  db.close();
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const fmt = (ms: number) => ms.toFixed(2);

/** Median and p95 of reserve + settle (ms) over `rounds` calls, and the cold open (ms, median of 3). */
async function measure(path: string, rounds: number): Promise<{ open: number; p50: number; p95: number; reserve: number; settle: number }> {
  const opens: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const l = await openLedger(path, { caps: CAPS });
    await l.spendStats();
    opens.push(performance.now() - t);
    await l.close();
  }
  const ledger = await openLedger(path, { caps: CAPS });
  const job = await ledger.createJob({ id: `bench-${Date.now()}`, kind: 'llm', model: 'gpt-4o-mini', request: {} });
  const totals: number[] = [];
  const reserves: number[] = [];
  const settles: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const r = await ledger.reserve({ jobId: job.id, model: 'gpt-4o-mini', micros: 5000 });
    const t1 = performance.now();
    await ledger.settle(r.id, { model: 'gpt-4o-mini', usage: { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 }, costMicros: 210, status: 'ok' });
    const t2 = performance.now();
    reserves.push(t1 - t0);
    settles.push(t2 - t1);
    totals.push(t2 - t0);
  }
  await ledger.close();
  for (const a of [opens, totals, reserves, settles]) a.sort((x, y) => x - y);
  return { open: quantile(opens, 0.5), p50: quantile(totals, 0.5), p95: quantile(totals, 0.95), reserve: quantile(reserves, 0.5), settle: quantile(settles, 0.5) };
}

/** Runs the section and returns its Markdown. */
export async function run(log: (line: string) => void): Promise<string> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'offload-bench-ledger-'));
  const t = performance.now();
  await loadSqlJs();
  const wasm = performance.now() - t;
  const rows: string[] = [];
  try {
    for (const jobs of [10_000, 100_000]) {
      const path = join(dir, `ledger-${jobs}.sqlite`);
      log(`building a ledger with ${jobs} jobs`);
      await makeLedger(path, jobs);
      const size = statSync(path).size;
      log(`measuring ${jobs}`);
      const m = await measure(path, jobs >= 100_000 ? 60 : 200);
      rows.push(`| ${jobs.toLocaleString('en')} | ${(size / 2 ** 20).toFixed(1)} MiB | ${fmt(m.open)} | **${fmt(m.p50)}** / ${fmt(m.p95)} | ${fmt(m.reserve)} | ${fmt(m.settle)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    '## Ledger',
    '',
    `Command: \`npm run bench\` (this section alone: \`npx tsx bench/run.ts ledger\`). Machine: ${machine()}. Run ${new Date(started).toISOString().slice(0, 16)}Z, ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
    'A file ledger (sql.js, the real `openLedger`) holding N finished jobs with one model call each (realistic request/result JSON),',
    'spread over 60 days. "reserve + settle" is one paid call\'s bookkeeping: two transactions, each taking the file lock',
    '(proper-lockfile), catching up with other processes (two stat calls when nothing changed), running the admission sums',
    'and appending one line to `<ledger>.journal` with fdatasync; the snapshot is rewritten only when the journal is folded',
    'into it (every 4 MiB or 5,000 transactions; not reached in these rounds). "Cold open" is `openLedger` + the first',
    `\`spendStats\`, with sql.js already loaded; loading sql.js itself (WASM, once per process, lazy) took ${fmt(wasm)} ms here. Times in ms.`,
    '',
    '| jobs of history | file size | cold open | reserve + settle p50 / p95 | reserve p50 | settle p50 |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Targets (issue #5): reserve + settle median ≤ 2 ms at 10k jobs and ≤ 5 ms at 100k; cold open of 100k jobs ≤ 500 ms.',
    'Writes no longer export the database, and the file operations of a write are synchronous (they used to be ~10 async',
    'calls, each a libuv threadpool round trip, which left the CPU >95 % idle and cost reserve + settle 6.6–9 ms): the',
    'lock (mkdir, stale check, rmdir; ~0.3 ms), two stat calls (~5 µs) and one journal line written and fdatasync\'ed',
    'through a descriptor kept open between appends (~0.3 ms, the disk\'s flush). A write blocks the event loop for',
    '~1 ms, accepted for a ledger write; only a contended lock waits asynchronously. The month and day sums of admission',
    'read hourly totals (`spend_hours`, kept in the same transaction as each call), so the cost does not grow with',
    'history. The in-memory ledger does a reserve + settle in ~1.2–1.5 ms; the remainder is the two lock round trips and',
    'two fdatasyncs. Cold open is reading the snapshot (one synchronous read), sql.js loading it, and replaying the journal.',
  ].join('\n');
}
