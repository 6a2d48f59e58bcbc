import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_BREAKER_POLICY } from '../../src/core/breaker';
import { Client } from '../../src/ledger/postgres/driver';
import { openPostgresLedger, type TeamLedger } from '../../src/ledger/postgres/open';
import { createDatabase, dropDatabase } from '../support/pg-server';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { PRICE, WORST_CASE } from './fixtures/team-torture-child';

const CHILD = path.join(__dirname, 'fixtures', 'team-torture-child.ts');
const TEAM_CAP = 1_000_000; // $1
const MEMBER_CAP = 300_000; // $0.30
const CALLS = 25;
const LEASE_MS = 2_000;
const USAGE = { prompt_tokens: 20, completion_tokens: 80 };
const CALL_COST = USAGE.prompt_tokens * PRICE.input + USAGE.completion_tokens * PRICE.output;

/** A member's process and what it reported: reservations taken, settled (id → µUSD), refusals by cap. */
interface Child {
  proc: ChildProcess;
  member: string;
  reserved: Map<string, number>;
  settled: Map<string, number>;
  refused: string[];
  exited: Promise<number | null>;
}

function spawnChild(url: string, gw: string, member: string, machine: string): Child {
  const env = {
    PATH: process.env.PATH,
    TMPDIR: process.env.TMPDIR,
    OFFLOAD_LEDGER: url,
    OFFLOAD_MEMBER: member,
    OFFLOAD_MACHINE: machine,
    TORTURE_GATEWAY: gw,
    TORTURE_CALLS: String(CALLS),
    TORTURE_LEASE_MS: String(LEASE_MS),
  };
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=import', CHILD], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c: Child = {
    proc,
    member,
    reserved: new Map(),
    settled: new Map(),
    refused: [],
    exited: new Promise((r) => proc.on('exit', (code) => r(code))),
  };
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const [tag, id, value] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      if (tag === 'reserved') c.reserved.set(id!, Number(value));
      if (tag === 'settled') c.settled.set(id!, Number(value));
      if (tag === 'refused') c.refused.push(value!);
    }
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  proc.on('exit', (code) => {
    if (code) process.stderr.write(`team torture child ${member} exited ${code}: ${err}\n`);
  });
  return c;
}

async function rows(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

describe('team torture: 8 processes as 4 members on 2 machines × 25 concurrent paid calls, $1 team and $0.30 member caps (PostgreSQL, scripted gateway)', function () {
  this.timeout(120_000);
  let gw: ScriptedGateway;
  let url: string;
  let admin: TeamLedger;
  before(async () => {
    gw = await startScriptedGateway({ script: () => ({ text: 'ok', usage: USAGE, delayMs: 150 }) });
    url = await createDatabase();
    admin = await openPostgresLedger(url, {
      caps: { monthlyMicros: 100_000_000, dailyMicros: null },
      identity: { member: 'admin', machine: 'ci' },
      leaseTtlMs: LEASE_MS,
      breaker: { ...DEFAULT_BREAKER_POLICY, velocityPct: 0 }, // its sweeper's settles would trip the velocity rule for everyone
    });
    await admin.setTeamCaps({ monthlyMicros: TEAM_CAP, dailyMicros: null });
    for (let m = 0; m < 4; m++) await admin.setMemberCap(`member${m}`, MEMBER_CAP);
  });
  after(async () => {
    await admin?.close();
    await gw?.close();
    if (url) await dropDatabase(url);
  });

  it('passes no cap, loses no row, charges usage × price, and settles the SIGKILLed process’s reservations orphaned by expiry', async () => {
    const children = Array.from({ length: 8 }, (_, i) => spawnChild(url, gw.url, `member${i % 4}`, `machine${i % 2}`));
    const victim = children[0]!;
    // Kill it mid-call: some reservations taken, their calls not yet settled.
    while (victim.proc.exitCode === null && !(victim.reserved.size >= 3 && victim.reserved.size > victim.settled.size))
      await sleep(5);
    victim.proc.kill('SIGKILL');
    const inFlight = [...victim.reserved.keys()].filter((id) => !victim.settled.has(id));
    assert.ok(inFlight.length > 0, 'the victim died with calls in flight');
    assert.deepEqual(await Promise.all(children.slice(1).map((c) => c.exited)), Array(7).fill(0));
    await victim.exited;

    const sweptBy = Date.now() + 10_000; // the lease (2 s) then a sweep (every 1 s) of the admin's ledger
    while ((await admin.listReservations()).length > 0 && Date.now() < sweptBy) await sleep(100);
    assert.deepEqual(await admin.listReservations(), [], 'no reservation outlives its lease');

    const calls = await rows(url, 'SELECT reservation_id, member, cost_micros, status FROM model_calls');
    const byId = new Map(calls.map((r) => [String(r.reservation_id), r]));
    for (const id of inFlight) {
      const row = byId.get(id);
      // A call the victim settled but had not yet printed is an ok row; every other one ended orphaned.
      assert.ok(row, `the victim's reservation ${id} ended in a spend row`);
      if (row.status !== 'ok') assert.deepEqual([row.status, Number(row.cost_micros)], ['orphaned', WORST_CASE]);
    }
    for (const c of children)
      for (const [id, cost] of c.settled)
        assert.deepEqual(
          [byId.get(id)?.status, Number(byId.get(id)?.cost_micros)],
          ['ok', cost],
          `settle ${id} of ${c.member} kept`,
        );
    const ok = calls.filter((r) => r.status === 'ok');
    const orphaned = calls.filter((r) => r.status === 'orphaned');
    assert.equal(calls.length, ok.length + orphaned.length);
    assert.ok(orphaned.length > 0, 'something was orphaned');
    assert.ok(
      ok.every((r) => Number(r.cost_micros) === CALL_COST),
      'every settled call is the scripted usage × price',
    );
    const total = calls.reduce((s, r) => s + Number(r.cost_micros), 0);
    assert.equal(total, ok.length * CALL_COST + orphaned.length * WORST_CASE);
    assert.ok(ok.length <= gw.requests.length, 'no call was charged without a request');

    assert.ok(total <= TEAM_CAP, `team settled ${total} µUSD ≤ ${TEAM_CAP}`);
    const perMember = new Map<string, number>();
    for (const r of calls)
      perMember.set(String(r.member), (perMember.get(String(r.member)) ?? 0) + Number(r.cost_micros));
    for (const [m, spent] of perMember) assert.ok(spent <= MEMBER_CAP, `${m} settled ${spent} µUSD ≤ ${MEMBER_CAP}`);
    const refusals = children.flatMap((c) => c.refused);
    assert.ok(refusals.length > 0, 'the caps refused calls');
    assert.ok(
      refusals.every((cap) => cap === 'member' || cap === 'monthly'),
      refusals.join(','),
    );

    const [{ n }] = (await rows(url, "SELECT COUNT(*)::int AS n FROM jobs WHERE status IN ('queued', 'running')")) as [
      { n: number },
    ];
    assert.equal(n, 0, "the victim's jobs were ended by its expired lease");
    const victimJobs = await rows(url, `SELECT status, error FROM jobs WHERE id LIKE 'member0-${victim.proc.pid}-%'`);
    const ended = victimJobs.filter((j) => j.status === 'failed');
    const victimOrphans = inFlight.filter((id) => byId.get(id)?.status === 'orphaned').length;
    assert.ok(ended.length >= victimOrphans && victimOrphans > 0, `${ended.length} failed, ${victimOrphans} orphaned`);
    assert.ok(
      ended.every((j) => /stopped renewing its lease/.test(String(j.error))),
      String(ended[0]?.error),
    );
    process.stderr.write(
      `      ${ok.length} calls settled, ${orphaned.length} orphaned, ${refusals.length} refused; team ${total} µUSD; ` +
        `per member ${[...perMember].map(([m, v]) => `${m} ${v}`).join(', ')}\n`,
    );
  });
});
