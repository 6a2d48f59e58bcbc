/**
 * Team ledger section of BENCHMARKS.md (issue 16): in one run, the PostgreSQL team ledger on a unix
 * socket (a throwaway server from scripts/pg/start.sh with its default, durable settings) against
 * the sql.js file ledger: reserve + settle p50/p99 in one process, and paid calls' bookkeeping per
 * second with 8 processes contending for one budget (bench/support/team-ledger-child.ts). Also the
 * admission strategies the team ledger chose between (bench/support/admission-strategies.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Client } from '../src/ledger/postgres/driver';
import { openPostgresLedger } from '../src/ledger/postgres/open';
import { openLedger, type HostLedger } from '../src/ledger/sqlite-ledger';
import { cpuMark, machine, stealSince } from './run';
import { raceConditional, raceSerializable, type RaceResult } from './support/admission-strategies';

/** The marker name of this section in BENCHMARKS.md. */
export const section = 'team-ledger';

const exec = promisify(execFile);
const ROOT = join(__dirname, '..');
const CAPS = { monthlyMicros: 1e12, dailyMicros: null };
const NO_VELOCITY = { velocityPct: 0, velocityWindowMs: 3_600_000, failureThreshold: 5, cooldownMs: 60_000 };
const SETTLE = {
  model: 'gpt-4o-mini',
  usage: { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 },
  costMicros: 210,
  status: 'ok',
};
const SINGLE_CALLS = 400;
const PROCS = 8;
const PER_PROC = 200;
const CONCURRENCY = 4;

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** reserve + settle latencies (ms, sorted) of `n` sequential calls on `ledger`, after 30 unmeasured ones. */
async function latencies(ledger: HostLedger, n: number): Promise<number[]> {
  await ledger.createJob({ id: 'lat', kind: 'llm', model: 'gpt-4o-mini', request: null, status: 'running' });
  const out: number[] = [];
  for (let i = 0; i < n + 30; i++) {
    const t = performance.now();
    const r = await ledger.reserve({ jobId: 'lat', model: 'gpt-4o-mini', micros: 5000 });
    await ledger.settle(r.id, SETTLE);
    if (i >= 30) out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

/** Paid calls per second of PROCS processes × CONCURRENCY loops × PER_PROC calls on `where`, from the first start to the last end. */
async function contended(where: string): Promise<number> {
  const start = Date.now() + 4_000; // every child has booted tsx and opened its ledger by then
  const results = await Promise.all(
    Array.from({ length: PROCS }, (_, i) => {
      const args = ['--import', 'tsx', '--conditions=import', join(__dirname, 'support', 'team-ledger-child.ts')];
      args.push('--ledger', where, '--calls', String(PER_PROC), '--concurrency', String(CONCURRENCY));
      args.push('--start', String(start), '--member', `member${i % 4}`);
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      return new Promise<{ calls: number; startMs: number; endMs: number }>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`)))),
      );
    }),
  );
  const t0 = Math.min(...results.map((r) => r.startMs));
  const t1 = Math.max(...results.map((r) => r.endMs));
  return (results.reduce((s, r) => s + r.calls, 0) * 1000) / (t1 - t0);
}

async function freshDatabase(host: string, name: string): Promise<string> {
  const c = new Client({ connectionString: `postgresql://postgres@/postgres?host=${encodeURIComponent(host)}` });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return `postgresql://postgres@/${name}?host=${encodeURIComponent(host)}`;
}

const race = (r: RaceResult) =>
  `${r.admitted} admitted, ${r.refused} refused, ${r.wallMs.toFixed(0)} ms, p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, ${r.retries} retries`;

/** Runs the bench; returns the section's Markdown. */
export async function run(log: (line: string) => void): Promise<string> {
  const mark = cpuMark();
  const pgDir = mkdtempSync('/tmp/offload-pg-bench-');
  const tmp = mkdtempSync(join(tmpdir(), 'offload-bench-team-'));
  try {
    const { stdout } = await exec('bash', [join(ROOT, 'scripts', 'pg', 'start.sh'), pgDir]);
    const host = stdout.trim();
    const { stdout: version } = await exec('psql', ['-h', host, '-U', 'postgres', '-tAc', 'SHOW server_version']);
    log(`PostgreSQL ${version.trim()} on ${host}`);

    const pg = await openPostgresLedger(await freshDatabase(host, 'bench_single'), {
      caps: CAPS,
      breaker: NO_VELOCITY,
    });
    const pgLat = await latencies(pg, SINGLE_CALLS);
    await pg.close();
    const file = await openLedger(join(tmp, 'single.sqlite'), { caps: CAPS, breaker: NO_VELOCITY });
    const fileLat = await latencies(file, SINGLE_CALLS);
    await file.close();
    log(`single: pg p50 ${q(pgLat, 0.5).toFixed(2)} ms, file p50 ${q(fileLat, 0.5).toFixed(2)} ms`);

    const pgRate = await contended(await freshDatabase(host, 'bench_contended'));
    log(`contended pg: ${pgRate.toFixed(0)} calls/s`);
    const fileRate = await contended(join(tmp, 'contended.sqlite'));
    log(`contended file: ${fileRate.toFixed(0)} calls/s`);

    const shape = { n: 200, micros: 10_000, capMicros: 1_500_000, pools: 4, perPool: 10 };
    const a = await raceConditional(await freshDatabase(host, 'bench_race_a'), shape);
    const b = await raceSerializable(await freshDatabase(host, 'bench_race_b'), shape);
    log(`race: (a) ${race(a)}; (b) ${race(b)}`);

    return [
      '## Team ledger: PostgreSQL on a unix socket vs the sql.js file ledger',
      '',
      `Machine: ${machine()}; PostgreSQL ${version.trim()} (throwaway server from \`scripts/pg/start.sh\`, default durable settings: fsync and synchronous_commit on); ${stealSince(mark)}. \`npx tsx bench/run.ts team-ledger\`.`,
      '',
      '| | PostgreSQL team ledger | sql.js file ledger |',
      '| --- | --- | --- |',
      `| reserve + settle, one process, ${SINGLE_CALLS} sequential calls: p50 | ${q(pgLat, 0.5).toFixed(2)} ms | ${q(fileLat, 0.5).toFixed(2)} ms |`,
      `| … p99 | ${q(pgLat, 0.99).toFixed(2)} ms | ${q(fileLat, 0.99).toFixed(2)} ms |`,
      `| paid calls/s (reserve + settle), ${PROCS} processes × ${CONCURRENCY} concurrent loops × ${PER_PROC / CONCURRENCY} calls, one budget | ${pgRate.toFixed(0)} | ${fileRate.toFixed(0)} |`,
      '',
      'The team ledger counts every reservation in the team month, team day and member month counter rows (one row lock each, taken in a fixed order by one statement), so its admissions are serialized on the team month row as the file ledger’s are on its lock; each of its writes is a durable commit, as each file-ledger write is an fdatasync’ed journal line. A reserve is three round trips to the server (two lock-free reads: the job and caps, the breaker row with the team’s month and day; then the hold) and a settle four (the reservation, the unhold, then the breaker’s re-evaluation: the team caps, the breaker row), where the file ledger works in memory between its lock and one fdatasync shared by the writes queued meanwhile (group commit).',
      '',
      `Admission strategies (${shape.n} reservations of $0.01 from ${shape.pools} pools × ${shape.perPool} connections against a cap that fits 150; connection start-up included):`,
      `- (a) conditional UPDATEs on the scope counter rows (chosen): ${race(a)}`,
      `- (b) one SERIALIZABLE read-check-insert transaction, retried on serialization failure: ${race(b)}`,
    ].join('\n');
  } finally {
    await exec('bash', [join(ROOT, 'scripts', 'pg', 'stop.sh'), pgDir]).catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}
