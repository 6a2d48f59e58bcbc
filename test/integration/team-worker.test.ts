/**
 * Two real workers (dist/worker.js mcp, driven by the real MCP SDK client) on one team ledger in a
 * real PostgreSQL database, as members alice and bob, against the scripted gateway: their spend,
 * the team commands, a member cap set by an admin, and a database newer than this Offload.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Client as PgClient } from '../../src/ledger/postgres/driver';
import { TEAM_SCHEMA_VERSION } from '../../src/ledger/postgres/schema';
import { usd } from '../../src/shared/usd';
import { toolJson } from '../support/app-fixture';
import { createDatabase, dropDatabase } from '../support/pg-server';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { connectWorker, WORKER } from '../support/worker-client';

const exec = promisify(execFile);

/**
 * pg-server's URL (`postgresql://postgres@/db?host=<socket folder>`) in a form the config's URL check
 * accepts (a WHATWG URL cannot have a user without a host); the `host` parameter still picks the socket.
 */
const workerUrl = (url: string) => url.replace('@/', '@localhost/');

/** Runs `node dist/worker.js …args` with `env` added; its exit code and output. */
async function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [WORKER, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function sql(url: string, text: string): Promise<void> {
  const c = new PgClient({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

describe('two workers on one team ledger (dist/worker.js, PostgreSQL, real MCP SDK client)', () => {
  let gateway: ScriptedGateway;
  let url: string;
  let dir: string;
  let env: Record<string, string>;
  const clients: Record<string, Client> = {};

  before(async () => {
    // Each call costs 1,000 prompt + 100 completion tokens at the mini-worker's price.
    gateway = await startScriptedGateway({
      script: () => ({ text: 'Done.', usage: { prompt_tokens: 1000, completion_tokens: 100 } }),
    });
    url = await createDatabase();
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-team-worker-')));
    env = { OPENAI_BASE_URL: gateway.url, OPENAI_API_KEY: 'k', OFFLOAD_LEDGER: workerUrl(url), SANDBOX_ROOT: dir };
    for (const member of ['alice', 'bob'])
      clients[member] = (
        await connectWorker({ ...env, OFFLOAD_MEMBER: member, OFFLOAD_MACHINE: `${member}-lap` })
      ).client;
  });
  after(async () => {
    await Promise.allSettled(Object.values(clients).map((c) => c.close()));
    await gateway?.close();
    if (url) await dropDatabase(url);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runJob = async (member: string) =>
    toolJson(
      await clients[member]!.callTool({
        name: 'run_job',
        arguments: { agent: 'mini-worker', task: `work of ${member}` },
      }),
    );
  const stats = async (member: string) =>
    toolJson(await clients[member]!.callTool({ name: 'get_spend_stats', arguments: {} }));

  it('charges each member their own run_job, and both see the team’s sum', async () => {
    const a = await runJob('alice');
    const b = await runJob('bob');
    assert.equal(a.job_status, 'completed', JSON.stringify(a));
    assert.equal(b.job_status, 'completed', JSON.stringify(b));
    assert.ok(a.cost_usd > 0 && b.cost_usd > 0);
    const sa = await stats('alice');
    const sb = await stats('bob');
    const team = Math.round((a.cost_usd + b.cost_usd) * 1e6);
    for (const [s, who, own] of [
      [sa, 'alice', a.cost_usd],
      [sb, 'bob', b.cost_usd],
    ] as const) {
      assert.equal(s.member.name, who);
      assert.equal(Math.round(s.member.current_month * 1e6), Math.round(own * 1e6), `${who}'s own month`);
      assert.equal(Math.round(s.current_month * 1e6), team, `${who} sees the team's month`);
      assert.deepEqual(Object.keys(s.by_member).sort(), ['alice', 'bob']);
    }
  });

  it('team members and team spend --by member list both, in USD', async () => {
    const { by_member } = await stats('alice');
    const members = await cli(['team', 'members', '--json'], { ...env, OFFLOAD_MEMBER: 'alice' });
    assert.equal(members.code, 0, members.stderr);
    const list = JSON.parse(members.stdout) as Array<{
      member: string;
      current_month: number;
      jobs: number;
      machines: string[];
    }>;
    assert.deepEqual(
      list.map((m) => [m.member, m.current_month, m.jobs, m.machines]),
      [
        ['alice', by_member.alice.cost_usd, 1, ['alice-lap']],
        ['bob', by_member.bob.cost_usd, 1, ['bob-lap']],
      ],
    );
    const spend = await cli(['team', 'spend', '--by', 'member'], { ...env, OFFLOAD_MEMBER: 'alice' });
    assert.equal(spend.code, 0, spend.stderr);
    assert.match(spend.stdout, new RegExp(`\\nalice\\s+\\${usd(by_member.alice.cost_usd)}\\s+1\\s+50\\.0%`));
    assert.match(spend.stdout, new RegExp(`\\nbob\\s+\\${usd(by_member.bob.cost_usd)}\\s+1\\s+50\\.0%`));
    const team = (Math.round(by_member.alice.cost_usd * 1e6) + Math.round(by_member.bob.cost_usd * 1e6)) / 1e6;
    assert.match(spend.stdout, new RegExp(`\\nteam\\s+\\${usd(team)}\\s+100\\.0%`));
  });

  it('an admin caps bob: his next run_job is refused for his cap, alice’s still runs', async () => {
    // the test server's user is a superuser: an admin by role
    const set = await cli(['team', 'set-cap', 'bob', '0.000001'], env);
    assert.equal(set.code, 0, set.stderr);
    const refused = await runJob('bob');
    assert.equal(refused.job_status, 'budget_exceeded', JSON.stringify(refused));
    assert.match(refused.error, /left this month under member bob's cap \(scope member\)/);
    assert.equal(refused.cost_usd, 0);
    const ok = await runJob('alice');
    assert.equal(ok.job_status, 'completed', JSON.stringify(ok));
  });

  it('a worker whose team database is newer than it stops at start naming both versions', async () => {
    const newer = await createDatabase();
    try {
      await sql(
        newer,
        'CREATE TABLE schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      await sql(newer, `INSERT INTO schema_migrations (version) VALUES (${TEAM_SCHEMA_VERSION + 5})`);
      const r = await cli(['mcp'], { ...env, OFFLOAD_LEDGER: workerUrl(newer), OFFLOAD_MEMBER: 'carol' });
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        new RegExp(
          `team ledger schema version ${TEAM_SCHEMA_VERSION + 5}, this Offload knows up to ${TEAM_SCHEMA_VERSION}: update Offload`,
        ),
      );
    } finally {
      await dropDatabase(newer);
    }
  });
});
