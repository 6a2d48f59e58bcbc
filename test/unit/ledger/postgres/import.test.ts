import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BudgetExceededError } from '../../../../src/core/budget';
import {
  breakerEventKey,
  callKey,
  ExportFormatError,
  jobKey,
  type ExportCall,
  type ExportJob,
} from '../../../../src/core/ledger-export';
import { Client } from '../../../../src/ledger/postgres/driver';
import { importExportFile, ImportMemberError, type ImportResult } from '../../../../src/ledger/postgres/import';
import { openPostgresLedger, type TeamLedger } from '../../../../src/ledger/postgres/open';
import { createDatabase, dropDatabase } from '../../../support/pg-server';
import { caps, tempDir } from '../helpers';

const LEDGER_ID = '7d1c0e3e-6a55-4f63-9a0b-2f2f4bd2a001';
const NOW = Date.UTC(2026, 11, 3, 12); // 2026-12-03 12:00 UTC
const LAST_MONTH = Date.UTC(2026, 10, 20, 9); // 2026-11-20
const YESTERDAY = Date.UTC(2026, 11, 2, 23, 59); // 2026-12-02 23:59
/** Earlier today, outside the breaker's 1 h velocity window (imported spend of the last hour counts there too). */
const EARLY_TODAY = Date.UTC(2026, 11, 3, 0, 0, 1);

/** One job with one model call of `cost` µUSD at `at` (epoch ms); `n` makes the ids. */
interface Row {
  n: number;
  at: number;
  cost: number;
  status?: ExportJob['status'];
  reservation?: boolean;
}

function job(r: Row): ExportJob {
  return {
    id: `00000000-0000-4000-8000-${String(r.n).padStart(12, '0')}`,
    kind: 'llm',
    status: r.status ?? 'completed',
    agent: 'mini-worker',
    model: 'gpt-4o-mini',
    request: { task: `t${r.n}` },
    result: { job_status: 'completed' },
    error: null,
    created_at: r.at - 10,
    updated_at: r.at + 10,
    max_cost_micros: 500_000,
    member: 'ana@box',
    machine: r.n % 2 ? 'box' : null,
  };
}

function call(r: Row): ExportCall {
  return {
    id: r.n,
    job_id: job(r).id,
    reservation_id: r.reservation === false ? null : `r-${r.n}`,
    model: 'gpt-4o-mini',
    input_tokens: 100,
    output_tokens: 10,
    cache_read_tokens: 0,
    cost_micros: r.cost,
    status: 'ok',
    route: 'primary',
    latency_ms: 120,
    created_at: r.at,
    member: 'ana@box',
    machine: r.n % 2 ? 'box' : null,
  };
}

/** The lines of an export of `rows` (and one breaker event), as `ledger export` writes them. */
function exportLines(rows: Row[]): string[] {
  const header = {
    type: 'header',
    format: 'offload-ledger-export',
    version: 1,
    exported_at: new Date(NOW).toISOString(),
    source: {
      ledger_id: LEDGER_ID,
      file: '/home/ana/ledger.sqlite',
      schema_version: 11,
      identity: { member: 'ana@box', machine: 'ana-box' },
    },
    counts: { jobs: rows.length, model_calls: rows.length, breaker_events: 1 },
  };
  const event = { id: 1, at: LAST_MONTH, state: 'open', reason: 'manual', detail: 'by hand' };
  return [
    JSON.stringify(header),
    ...rows.map((r) => JSON.stringify({ type: 'job', key: jobKey(job(r).id), job: job(r) })),
    ...rows.map((r) => JSON.stringify({ type: 'model_call', key: callKey(LEDGER_ID, call(r)), call: call(r) })),
    JSON.stringify({ type: 'breaker_event', key: breakerEventKey(LEDGER_ID, 1), event }),
  ];
}

/** Calls: 3 last month ($0.30), 2 yesterday ($0.20), 4 today ($0.45), one of them without a reservation id. */
const HISTORY: Row[] = [
  ...[1, 2, 3].map((n) => ({ n, at: LAST_MONTH + n, cost: 100_000 })),
  ...[4, 5].map((n) => ({ n, at: YESTERDAY + n, cost: 100_000 })),
  ...[6, 7, 8].map((n) => ({ n, at: EARLY_TODAY + n, cost: 100_000 })),
  { n: 9, at: EARLY_TODAY + 9, cost: 150_000, reservation: false },
];

describe('ledger import into the team ledger (PostgreSQL)', () => {
  let url: string;
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const open: TeamLedger[] = [];
  const ledger = (member: string, more: object = {}) =>
    openPostgresLedger(url, {
      caps: caps(10_000_000),
      identity: { member, machine: `${member}-laptop` },
      clock: () => NOW,
      ...more,
    }).then((l) => (open.push(l), l));
  const write = (lines: string[]) => writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  const load = (member = 'ana') => importExportFile(url, file, { member, nowMs: NOW });

  async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  }
  /** Row counts and sums of the team ledger, and every scope's settled µUSD. */
  const snapshot = async () => ({
    tables: await query(
      `SELECT (SELECT COUNT(*) FROM jobs)::int AS jobs, (SELECT COUNT(*) FROM model_calls)::int AS calls,
        (SELECT COALESCE(SUM(cost_micros), 0)::int AS micros FROM model_calls), (SELECT COUNT(*) FROM breaker_events)::int AS events`,
    ),
    scopes: await query('SELECT key, settled::int, reserved::int FROM scopes ORDER BY key'),
  });

  beforeEach(async () => {
    url = await createDatabase();
    tmp = tempDir();
    file = path.join(tmp.dir, 'export.jsonl');
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((l) => l.close()));
    await dropDatabase(url);
    tmp.cleanup();
  });

  it('loads every row under the member given, each call counted in the UTC month and day it was spent', async () => {
    write(exportLines(HISTORY));
    const r = await load('ana');
    assert.deepEqual(
      [r.jobs, r.model_calls, r.breaker_events, r.addedMicros, r.endedJobs],
      [{ read: 9, added: 9 }, { read: 9, added: 9 }, { read: 1, added: 1 }, 950_000, 0],
    );
    const scopes = await query<{ key: string; settled: number }>('SELECT key, settled::int FROM scopes ORDER BY key');
    assert.deepEqual(scopes, [
      { key: '1 team month 2026-11', settled: 300_000 },
      { key: '1 team month 2026-12', settled: 650_000 },
      { key: '2 team day 2026-11-20', settled: 300_000 },
      { key: '2 team day 2026-12-02', settled: 200_000 },
      { key: '2 team day 2026-12-03', settled: 450_000 },
      { key: '3 member 2026-11 ana', settled: 300_000 },
      { key: '3 member 2026-12 ana', settled: 650_000 },
    ]);
    const who = await query<{ member: string; machine: string; n: number }>(
      `SELECT member, machine, COUNT(*)::int AS n FROM (SELECT member, machine FROM jobs UNION ALL SELECT member, machine FROM model_calls) x
      GROUP BY 1, 2 ORDER BY 2`,
    );
    assert.deepEqual(who, [
      { member: 'ana', machine: 'ana-box', n: 8 }, // rows without a machine: the header's
      { member: 'ana', machine: 'box', n: 10 },
    ]);

    const stats = await (await ledger('ana')).spendStats();
    assert.deepEqual(
      [stats.current_month, stats.today, stats.member.current_month, stats.member.today, stats.by_member],
      [0.65, 0.45, 0.65, 0.45, { ana: { cost_usd: 0.65, calls: 6 } }],
    );
    const members = await open[0]!.listMembers();
    assert.deepEqual(
      members.map((m) => [m.member, m.current_month, m.jobs, m.machines]),
      [['ana', 0.65, 9, ['ana-box', 'box']]],
    );
  });

  const refusals: Array<[string, { monthly: number; daily: number | null; member: number | null }, string]> = [
    ['the team month', { monthly: 700_000, daily: null, member: null }, 'monthly'],
    ['the team day', { monthly: 10_000_000, daily: 500_000, member: null }, 'daily'],
    ['the member month', { monthly: 10_000_000, daily: null, member: 700_000 }, 'member'],
  ];
  for (const [scope, cap, kind] of refusals) {
    it(`refuses a reservation when imported spend fills ${scope}'s cap, and admits one that fits`, async () => {
      write(exportLines(HISTORY));
      await load('ana');
      const l = await ledger('ana', { caps: caps(cap.monthly, cap.daily) });
      if (cap.member !== null) await l.setMemberCap('ana', cap.member);
      await l.createJob({ id: 'next', kind: 'llm', model: 'm', request: null });
      // Imported this month: $0.65, today $0.45. A $0.10 call passes each cap; a $0.04 one fits.
      await assert.rejects(l.reserve({ jobId: 'next', model: 'm', micros: 100_000 }), (e: unknown) => {
        assert.ok(e instanceof BudgetExceededError, String(e));
        assert.equal(e.cap, kind);
        return true;
      });
      await l.release((await l.reserve({ jobId: 'next', model: 'm', micros: 40_000 })).id);
      if (kind === 'member') {
        const other = await ledger('cy');
        await other.createJob({ id: 'cy1', kind: 'llm', model: 'm', request: null });
        await other.release((await other.reserve({ jobId: 'cy1', model: 'm', micros: 100_000 })).id);
      }
    });
  }

  it('adds nothing when the same file is imported again', async () => {
    write(exportLines(HISTORY));
    await load('ana');
    const before = await snapshot();
    const again: ImportResult = await load('ana');
    assert.deepEqual(
      [again.jobs, again.model_calls, again.breaker_events, again.addedMicros],
      [{ read: 9, added: 0 }, { read: 9, added: 0 }, { read: 1, added: 0 }, 0],
    );
    assert.deepEqual(await snapshot(), before);
  });

  it('adds only the new rows of a later export of the same ledger', async () => {
    write(exportLines(HISTORY.slice(0, 5)));
    await load('ana');
    write(exportLines(HISTORY));
    const r = await load('ana');
    assert.deepEqual([r.jobs.added, r.model_calls.added, r.addedMicros], [4, 4, 450_000]);
    assert.deepEqual((await snapshot()).tables, [{ jobs: 9, calls: 9, micros: 950_000, events: 1 }]);
  });

  it('refuses the same rows under another member, naming the member they belong to, and writes nothing', async () => {
    write(exportLines(HISTORY.slice(0, 5)));
    await load('ana');
    const before = await snapshot();
    write(exportLines(HISTORY));
    await assert.rejects(load('bo'), (e: unknown) => {
      assert.ok(e instanceof ImportMemberError, String(e));
      assert.equal(e.line, 2);
      assert.match(e.message, /imported before as member "ana", not "bo".*--member ana.*Nothing was imported/);
      return true;
    });
    assert.deepEqual(await snapshot(), before);
  });

  it('imports nothing from a file with a bad line in the middle, naming the line', async () => {
    const lines = exportLines(HISTORY);
    lines[12] = lines[12]!.replace('"cost_micros":100000', '"cost_micros":-5');
    write(lines);
    await assert.rejects(load(), (e: unknown) => {
      assert.ok(e instanceof ExportFormatError, String(e));
      assert.equal(e.message, 'line 13: call.cost_micros: Too small: expected number to be >=0');
      return true;
    });
    assert.deepEqual(await snapshot(), {
      tables: [{ jobs: 0, calls: 0, micros: 0, events: 0 }],
      scopes: [],
    });
  });

  const damaged: Array<[string, (lines: string[]) => string[], RegExp]> = [
    [
      'is cut short',
      (l) => l.slice(0, -2),
      /line 1: counts\.model_calls: the header counts 9 model_calls, the file holds 8/,
    ],
    [
      'holds a call before its job',
      (l) => [l[0]!, l[10]!, ...l.slice(1, 10), ...l.slice(11)],
      /line 2: call\.job_id: names job/,
    ],
    ['repeats a row', (l) => [...l.slice(0, 3), l[2]!, ...l.slice(3)], /line 4: key: job:\S+ appears twice/],
    ['is empty', () => [], /line 1: \(line\): the file is empty/],
  ];
  for (const [what, damage, message] of damaged) {
    it(`imports nothing from a file that ${what}`, async () => {
      await ledger('ana'); // the schema, so that there is something to compare
      write(damage(exportLines(HISTORY)));
      await assert.rejects(load(), message);
      assert.deepEqual((await snapshot()).tables, [{ jobs: 0, calls: 0, micros: 0, events: 0 }]);
    });
  }

  it('imports a job still queued or running in the export as failed, saying why, so no process adopts it', async () => {
    write(
      exportLines([
        { n: 1, at: NOW - 5000, cost: 10, status: 'running' },
        { n: 2, at: NOW - 4000, cost: 10, status: 'queued' },
      ]),
    );
    const r = await load();
    assert.equal(r.endedJobs, 2);
    const jobs = await query<{ status: string; error: string; owner: string | null }>(
      'SELECT status, error, owner FROM jobs ORDER BY id',
    );
    assert.deepEqual(
      jobs.map((j) => [j.status, j.owner]),
      [
        ['failed', null],
        ['failed', null],
      ],
    );
    assert.match(jobs[0]!.error, /still running; the team ledger never ran it/);
    assert.match(jobs[1]!.error, /still queued/);
  });
});
