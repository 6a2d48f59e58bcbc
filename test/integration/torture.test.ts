import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TERMINAL_STATUSES, type JobStatus } from '../../src/core/jobs';
import { all, num } from '../../src/ledger/rows';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { readLedgerFile, tempDir } from '../unit/ledger/helpers';

const CHILD = path.join(__dirname, 'fixtures', 'torture-child.ts');
const CAP = 1_000_000; // $1 in µUSD
const PROCS = 4;
const JOBS = 25;

/** A torture child and what it reported: job id → last committed status. */
interface Child {
  proc: ChildProcess;
  jobs: Map<string, JobStatus>;
  lines: number;
  exited: Promise<number | null>;
}

function spawnChild(file: string, url: string, sandbox: string): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=import', CHILD, file, url, String(JOBS), sandbox],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child: Child = {
    proc,
    jobs: new Map(),
    lines: 0,
    exited: new Promise((r) => proc.on('exit', (code) => r(code))),
  };
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const [tag, id, status] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      if (tag === 'job' && id && status) {
        child.jobs.set(id, status as JobStatus);
        child.lines++;
      }
    }
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  proc.on('exit', (code) => {
    if (code) process.stderr.write(`torture child ${proc.pid} exited ${code}: ${err}\n`);
  });
  return child;
}

/** Rank of a status along queued → running → terminal, so "nothing committed is lost" can be checked. */
const rank = (s: string) => (s === 'queued' ? 0 : s === 'running' ? 1 : 2);

async function integrity(file: string): Promise<string> {
  const db = await readLedgerFile(file);
  try {
    return String(db.exec('PRAGMA integrity_check')[0]?.values[0]?.[0]);
  } finally {
    db.close();
  }
}

describe('torture: 4 processes × 25 concurrent jobs on one ledger file, $1 cap (scripted gateway)', function () {
  this.timeout(120_000);
  let gw: ScriptedGateway;
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    tmp = tempDir();
    gw = await startScriptedGateway({
      script: () => ({ text: 'ok', usage: { prompt_tokens: 20, completion_tokens: 400 }, delayMs: 40 }),
    });
  });
  afterEach(async () => {
    await gw.close();
    tmp.cleanup();
  });

  it('never settles more than the cap, loses no job row and leaves no reservation behind', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const children = Array.from({ length: PROCS }, () => spawnChild(file, gw.url, tmp.dir));
    assert.deepEqual(await Promise.all(children.map((c) => c.exited)), Array(PROCS).fill(0));
    assert.equal(await integrity(file), 'ok');
    const db = await readLedgerFile(file);
    try {
      const settled = num(db, 'SELECT SUM(cost_micros) FROM model_calls');
      assert.ok(settled <= CAP, `settled ${settled} µUSD > cap ${CAP}`);
      assert.ok(settled > 0, 'jobs completed and were billed');
      assert.equal(num(db, 'SELECT COUNT(*) FROM reservations'), 0, 'every reservation settled or released');
      const rows = new Map(
        all(db, 'SELECT id, status FROM jobs').map((r) => [String(r.id), String(r.status) as JobStatus]),
      );
      assert.equal(rows.size, PROCS * JOBS);
      for (const c of children)
        for (const [id, status] of c.jobs)
          assert.equal(rows.get(id), status, `job ${id} as its process last reported it`);
      for (const [id, status] of rows) assert.ok(TERMINAL_STATUSES.has(status), `job ${id} is terminal, got ${status}`);
      const byStatus = Object.fromEntries(
        all(db, 'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').map((r) => [r.status, r.n]),
      );
      assert.ok(
        Number(byStatus.completed) > 0 && Number(byStatus.budget_exceeded ?? 0) + Number(byStatus.rejected ?? 0) > 0,
        JSON.stringify(byStatus),
      );
    } finally {
      db.close();
    }
  });

  it('survives one process SIGKILLed mid-run: the file opens, passes integrity_check, keeps every commit, and its reservations are reclaimed', async () => {
    gw.setScript(() => ({ text: 'ok', usage: { prompt_tokens: 20, completion_tokens: 400 }, delayMs: 150 }));
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const children = Array.from({ length: PROCS }, () => spawnChild(file, gw.url, tmp.dir));
    const victim = children[0]!;
    while (victim.lines < 30 && victim.proc.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    victim.proc.kill('SIGKILL');
    const codes = await Promise.all(children.map((c) => c.exited));
    assert.deepEqual(codes.slice(1), Array(PROCS - 1).fill(0));
    assert.equal(await integrity(file), 'ok');
    const ledger = await openLedger(file, { caps: { monthlyMicros: CAP, dailyMicros: null } });
    try {
      const jobs = new Map((await ledger.listJobs(1000)).map((j) => [j.id, j.status]));
      for (const c of children) {
        for (const [id, status] of c.jobs)
          assert.ok(
            rank(jobs.get(id) ?? 'missing') >= rank(status),
            `job ${id}: reported ${status}, found ${jobs.get(id)}`,
          );
      }
      const deadPid = victim.proc.pid!;
      const left = await ledger.listReservations();
      assert.ok(
        left.every((r) => r.pid === deadPid),
        'only the dead process left reservations',
      );
      const reclaimed = await ledger.reclaimOrphans((pid) => pid !== deadPid);
      assert.equal(reclaimed, left.length);
      assert.equal((await ledger.listReservations()).length, 0);
      const settled = Math.round((await ledger.spendStats()).current_month * 1e6);
      assert.ok(settled <= CAP, `settled ${settled} µUSD (orphans charged at their worst case) ≤ cap`);
    } finally {
      await ledger.close();
    }
  });
});
