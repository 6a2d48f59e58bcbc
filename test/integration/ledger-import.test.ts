import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '../../src/ledger/postgres/driver';
import { fileDbStore } from '../../src/ledger/journaled-store';
import { num, run } from '../../src/ledger/rows';
import { ledgerOnStore } from '../../src/ledger/sqlite-ledger';
import { createDatabase, dropDatabase } from '../support/pg-server';
import { WORKER } from '../support/worker-client';

const exec = promisify(execFile);

/** Runs the built worker CLI as a real process; resolves with code, stdout and stderr whatever the exit code. */
async function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [WORKER, ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function pgQuery<T>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

interface Totals {
  jobs: number;
  calls: number;
  micros: number;
  events: number;
}

/** The team ledger's rows and µUSD, and whether every team month counter equals its calls' sum. */
async function teamTotals(url: string): Promise<Totals & { countersMatch: boolean }> {
  const [t] = await pgQuery<Totals>(
    url,
    `SELECT (SELECT COUNT(*) FROM jobs)::int AS jobs, (SELECT COUNT(*) FROM model_calls)::int AS calls,
      (SELECT COALESCE(SUM(cost_micros), 0) FROM model_calls)::int8 AS micros, (SELECT COUNT(*) FROM breaker_events)::int AS events`,
  );
  const [m] = await pgQuery<{ ok: boolean }>(
    url,
    `SELECT NOT EXISTS (
      SELECT 1 FROM (SELECT '1 team month ' || to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM') AS key,
        SUM(cost_micros) AS s FROM model_calls GROUP BY 1) c
      FULL JOIN (SELECT key, settled FROM scopes WHERE key LIKE '1 team month %') s USING (key)
      WHERE c.s IS DISTINCT FROM s.settled) AS ok`,
  );
  return { ...t!, micros: Number(t!.micros), countersMatch: m!.ok };
}

/**
 * `url` (pg-server.ts: postgresql://postgres@/db?host=SOCKET) in the form OFFLOAD_LEDGER accepts: its
 * config check parses it with WHATWG URL, which refuses a user without a host, so the user moves to the query.
 */
const asSetting = (url: string) => `${url.replace('postgresql://postgres@/', 'postgresql:///')}&user=postgres`;

const N = 10_000;
const DAY = 86_400_000;

describe('offload-worker ledger export, then ledger import into a team ledger (built dist/worker.js, real PostgreSQL)', function () {
  this.timeout(180_000);
  let dir: string;
  let localFile: string;
  let exportFile: string;
  let url: string;
  let local: Totals;
  const env = () => ({
    OFFLOAD_LEDGER: asSetting(url),
    SANDBOX_ROOT: dir,
    OFFLOAD_MEMBER: 'ana',
    OFFLOAD_MACHINE: 'ana-laptop',
  });

  before(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-import-')));
    localFile = join(dir, 'ledger.sqlite');
    exportFile = join(dir, 'export.jsonl');
    url = await createDatabase();
    // A local ledger of 10,000 jobs with one model call each, over the last ~35 days (so two UTC months),
    // written by direct SQL in one transaction (the export test's way); every 1000th call has no reservation id.
    const start = Date.now() - 36 * DAY;
    const store = await fileDbStore(localFile);
    await store.write((db) => {
      for (let i = 0; i < N; i++) {
        const id = randomUUID();
        const at = start + i * 300_000;
        run(
          db,
          `INSERT INTO jobs (id, kind, status, agent, model, request_json, result_json, error, created_at, updated_at, pid, member, machine)
          VALUES (?, 'llm', ?, 'mini-worker', 'gpt-4o-mini', ?, ?, NULL, ?, ?, 1, ?, ?)`,
          [
            id,
            i % 5 ? 'completed' : 'failed',
            JSON.stringify({ task: `task ${i}` }),
            JSON.stringify({ job_status: 'completed' }),
            at,
            at + 2000,
            i % 3 ? 'ana@box' : null,
            i % 3 ? 'box' : null,
          ],
        );
        run(
          db,
          `INSERT INTO model_calls (job_id, reservation_id, model, input_tokens, output_tokens, cache_read_tokens, cost_micros, status, route, latency_ms, created_at, member, machine)
          VALUES (?, ?, 'gpt-4o-mini', ?, 10, 0, ?, 'ok', 'primary', 150, ?, ?, ?)`,
          [id, i % 1000 === 999 ? null : randomUUID(), 100 + i, 17 + (i % 1000), at + 1000, 'ana@box', 'box'],
        );
      }
    });
    const ledger = ledgerOnStore(store, { caps: { monthlyMicros: 1e12, dailyMicros: null } });
    await ledger.tripBreaker({ reason: 'manual', detail: 'by hand' });
    await ledger.resetBreaker();
    local = await store.read((db) => ({
      jobs: num(db, 'SELECT COUNT(*) FROM jobs'),
      calls: num(db, 'SELECT COUNT(*) FROM model_calls'),
      micros: num(db, 'SELECT SUM(cost_micros) FROM model_calls'),
      events: num(db, 'SELECT COUNT(*) FROM breaker_events'),
    }));
    await ledger.close();
    assert.deepEqual([local.jobs, local.calls, local.events], [N, N, 2]);
  });
  after(async () => {
    await dropDatabase(url);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`round-trips ${N} jobs: the team ledger's jobs, calls and µUSD equal the local ledger's, attributed to the member given`, async () => {
    const exported = await cli(['ledger', 'export', '--out', exportFile], { ...env(), OFFLOAD_LEDGER: localFile });
    assert.equal(exported.code, 0, exported.stderr);
    const started = Date.now();
    const r = await cli(['ledger', 'import', exportFile, '--member', 'ana'], env());
    const wallMs = Date.now() - started;
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `as ana: ${2 * N + 2} of ${2 * N + 2} rows were new \\(jobs ${N} of ${N}, model calls ${N} of ${N}, breaker events 2 of 2\\); new spend \\$[\\d.]+ \\(${local.micros} µUSD\\); \\d+ ms\\n$`,
      ),
    );
    console.log(
      `      ledger import of ${N} jobs: ${/(\d+) ms\n$/.exec(r.stdout)![1]} ms importing, ${wallMs} ms for the process`,
    );
    assert.deepEqual(await teamTotals(url), { ...local, countersMatch: true });

    // Jobs from before attribution have no machine: they get the exporter's (the header's identity, OFFLOAD_MACHINE).
    const members = await cli(['team', 'members', '--json'], env());
    assert.equal(members.code, 0, members.stderr);
    const [ana, ...others] = JSON.parse(members.stdout) as Array<{ member: string; jobs: number; machines: string[] }>;
    assert.deepEqual([ana?.member, ana?.jobs, ana?.machines, others.length], ['ana', N, ['ana-laptop', 'box'], 0]);
    const [byMember] = await pgQuery<{ n: number }>(url, `SELECT COUNT(*)::int AS n FROM jobs WHERE member <> 'ana'`);
    assert.equal(byMember!.n, 0, 'every job is the member given');
  });

  it('adds nothing when the same file is imported again, and says 0 rows were new', async () => {
    const before = await teamTotals(url);
    const r = await cli(['ledger', 'import', exportFile, '--member', 'ana'], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`: 0 of ${2 * N + 2} rows were new .*new spend \\$0\\.00 \\(0 µUSD\\)`));
    assert.deepEqual(await teamTotals(url), before);
    assert.deepEqual(before, { ...local, countersMatch: true });
  });

  it('refuses the same file under another member, naming the member it belongs to, and adds nothing', async () => {
    const r = await cli(['ledger', 'import', exportFile, '--member', 'bo'], env());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 2: job:\S+ was imported before as member "ana", not "bo".*--member ana/);
    assert.deepEqual(await teamTotals(url), { ...local, countersMatch: true });
  });

  it('imports nothing from a file with a bad line in the middle, naming the line', async () => {
    const fresh = await createDatabase();
    try {
      const lines = readFileSync(exportFile, 'utf8').split('\n');
      const middle = N + 1 + N / 2; // a model call, after every job has been written in the transaction
      lines[middle - 1] = lines[middle - 1]!.replace(/"input_tokens":\d+/, '"input_tokens":"many"');
      const damaged = join(dir, 'damaged.jsonl');
      writeFileSync(damaged, lines.join('\n'));
      const r = await cli(['ledger', 'import', damaged, '--member', 'ana'], {
        ...env(),
        OFFLOAD_LEDGER: asSetting(fresh),
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`line ${middle}: call\\.input_tokens: .*: nothing was imported\\n$`));
      assert.deepEqual(await teamTotals(fresh), { jobs: 0, calls: 0, micros: 0, events: 0, countersMatch: true });
    } finally {
      await dropDatabase(fresh);
    }
  });

  it('refuses when OFFLOAD_LEDGER is a local file, naming the fix', async () => {
    const r = await cli(['ledger', 'import', exportFile, '--member', 'ana'], { ...env(), OFFLOAD_LEDGER: localFile });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ledger import loads into a team ledger.*set OFFLOAD_LEDGER=postgres:\/\//);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['without --member', ['ledger', 'import', 'x.jsonl'], /--member: names the member/],
    [
      'with a member name of 200 characters',
      ['ledger', 'import', 'x.jsonl', '--member', 'x'.repeat(200)],
      /--member: must be at most 128 characters/,
    ],
    ['without a file', ['ledger', 'import', '--member', 'ana'], /FILE: takes one export file/],
    ['with an unknown flag', ['ledger', 'import', 'x.jsonl', '--member', 'ana', '--force'], /Unknown option '--force'/],
  ];
  for (const [what, args, message] of usage) {
    it(`exits 2 ${what}, saying what is wrong`, async () => {
      const r = await cli(args, env());
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }
});
