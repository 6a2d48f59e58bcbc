import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseExportLine } from '../../src/core/ledger-export';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { WORKER } from '../support/worker-client';

const exec = promisify(execFile);

/** Runs the built worker CLI; resolves with code, stdout and stderr whatever the exit code. */
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

const spend = (costMicros: number) => ({
  model: 'gpt-4o-mini',
  costMicros,
  status: 'ok',
  usage: { input_tokens: 10, output_tokens: 1, cache_read_tokens: 0 },
});

describe('offload-worker team, ledger export (built dist/worker.js)', function () {
  this.timeout(60_000);
  let gateway: ScriptedGateway;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    gateway = await startScriptedGateway({
      script: () => ({ text: 'OK', usage: { prompt_tokens: 30, completion_tokens: 1 } }),
    });
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-team-cli-')));
    const file = join(dir, 'ledger.sqlite');
    env = {
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key-123456',
      OFFLOAD_LEDGER: file,
      SANDBOX_ROOT: dir,
    };
    // Two members on two machines share the file: ana spends $0.25 on box, bo $0.50 on lap and holds $0.10.
    const ana = await openLedger(file, {
      caps: { monthlyMicros: 25e6, dailyMicros: null },
      identity: { member: 'ana@box', machine: 'box' },
    });
    const bo = await openLedger(file, {
      caps: { monthlyMicros: 25e6, dailyMicros: null },
      identity: { member: 'bo@lap', machine: 'lap' },
    });
    await ana.createJob({ id: 'a1', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await ana.settle((await ana.reserve({ jobId: 'a1', model: 'gpt-4o-mini', micros: 300_000 })).id, spend(250_000));
    await bo.createJob({ id: 'b1', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await bo.settle((await bo.reserve({ jobId: 'b1', model: 'gpt-4o-mini', micros: 600_000 })).id, spend(500_000));
    await bo.createJob({ id: 'b2', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await bo.reserve({ jobId: 'b2', model: 'gpt-4o-mini', micros: 100_000 }); // bo's process is this one: never reclaimed
    await Promise.all([ana.close(), bo.close()]);
  });
  after(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('members prints a table of every member: cap, month spend, reserved, jobs, last seen, machines', async () => {
    const r = await cli(['team', 'members'], env);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    assert.match(header!, /^member\s+cap\s+month spend\s+reserved\s+jobs\s+last seen\s+machines$/);
    assert.match(rows[0]!, /^ana@box\s+none\s+\$0\.25\s+\$0\.00\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+box$/);
    assert.match(rows[1]!, /^bo@lap\s+none\s+\$0\.50\s+\$0\.10\s+2\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+lap$/);
    assert.equal(rows.length, 2);
  });

  it('members --json gives the member records', async () => {
    const r = await cli(['team', 'members', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const members = JSON.parse(r.stdout) as Array<{ member: string; current_month: number; jobs: number }>;
    assert.deepEqual(
      members.map((m) => [m.member, m.current_month, m.jobs]),
      [
        ['ana@box', 0.25, 1],
        ['bo@lap', 0.5, 2],
      ],
    );
  });

  it('spend --by member prints each member, most first, with calls and share, then the team', async () => {
    const r = await cli(['team', 'spend', '--by', 'member'], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^\d{4}-\d\d$/);
    assert.match(lines[1]!, /^member\s+spend\s+calls\s+share$/);
    assert.match(lines[2]!, /^bo@lap\s+\$0\.50\s+1\s+66\.7%$/);
    assert.match(lines[3]!, /^ana@box\s+\$0\.25\s+1\s+33\.3%$/);
    assert.match(lines[4]!, /^team\s+\$0\.75\s+100\.0%$/);
  });

  it('set-cap on a local ledger prints why (member caps need a team ledger) and exits 1, changing nothing', async () => {
    const r = await cli(['team', 'set-cap', 'bo@lap', '0.30'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /member caps need a team ledger/);
    assert.match(r.stderr, /OFFLOAD_LEDGER=postgres:\/\//);
    const members = JSON.parse((await cli(['team', 'members', '--json'], env)).stdout) as Array<{ monthly_cap: null }>;
    assert.ok(members.every((m) => m.monthly_cap === null));
  });

  const usageErrors: Array<[string, string[], RegExp]> = [
    ['an unknown subcommand', ['team', 'promote'], /usage: offload-worker team/],
    ['set-cap without a cap', ['team', 'set-cap', 'bo@lap'], /team set-cap <member> <usd\|none>/],
    [
      'set-cap with a cap that is no amount',
      ['team', 'set-cap', 'bo@lap', 'lots'],
      /<usd\|none>: must be an amount of USD/,
    ],
    ['spend by model', ['team', 'spend', '--by', 'model'], /--by: groups only by member/],
    ['an unknown flag', ['team', 'members', '--csv'], /Unknown option '--csv'/],
  ];
  for (const [what, args, message] of usageErrors) {
    it(`exits 2 on ${what}, saying what is wrong`, async () => {
      const r = await cli(args, env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('attributes a real paid call to OFFLOAD_MEMBER and OFFLOAD_MACHINE', async () => {
    const smoke = await cli(['smoke'], { ...env, OFFLOAD_MEMBER: 'ci-bot', OFFLOAD_MACHINE: 'runner-7' });
    assert.equal(smoke.code, 0, smoke.stderr);
    const members = JSON.parse((await cli(['team', 'members', '--json'], env)).stdout) as Array<{
      member: string;
      machines: string[];
      current_month: number;
    }>;
    const bot = members.find((m) => m.member === 'ci-bot');
    assert.deepEqual(bot?.machines, ['runner-7']);
    assert.ok((bot?.current_month ?? 0) > 0);
  });

  it('refuses a bad OFFLOAD_MEMBER, naming it (exit 2)', async () => {
    const r = await cli(['team', 'members'], { ...env, OFFLOAD_MEMBER: 'x'.repeat(200) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /OFFLOAD_MEMBER: must be at most 128 characters/);
  });

  it('ledger export --out writes every row as JSONL an importer parses, and the counts on stderr', async () => {
    const out = join(dir, 'export.jsonl');
    const r = await cli(['ledger', 'export', '--out', out], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^exported \d+ jobs, \d+ model calls, 0 breaker events from .*ledger\.sqlite to .*export\.jsonl\n$/,
    );
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const header = parseExportLine(lines[0]!, 1);
    assert.ok(header.type === 'header');
    const rows = lines.slice(1).map((l, i) => parseExportLine(l, i + 2, header.source.ledger_id));
    assert.equal(rows.length, header.counts.jobs + header.counts.model_calls);
    assert.ok(
      rows.some((l) => l.type === 'model_call' && l.call.member === 'bo@lap' && l.call.cost_micros === 500_000),
    );
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('partial')),
      [],
    );
    const toStdout = await cli(['ledger', 'export'], env);
    assert.equal(toStdout.code, 0, toStdout.stderr);
    assert.deepEqual(toStdout.stdout.trimEnd().split('\n').slice(1), lines.slice(1), 'stdout gets the same rows');
  });

  it('ledger export of a path with no ledger exits 1 and leaves no file', async () => {
    const out = join(dir, 'none.jsonl');
    const r = await cli(['ledger', 'export', '--ledger', join(dir, 'missing.sqlite'), '--out', out], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no ledger at .*missing\.sqlite/);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('none.jsonl')),
      [],
    );
    assert.equal((await cli(['ledger', 'export', '--gzip'], env)).code, 2);
  });

  it('exits 1 naming why when the team ledger cannot be reached, never printing its password', async () => {
    const r = await cli(['team', 'members'], {
      ...env,
      OFFLOAD_LEDGER: 'postgres://ana:hunter2-pw@db.example.com/offload',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^offload-worker: .*db\.example\.com/); // the driver's error: no such host here
    assert.ok(!r.stderr.includes('hunter2-pw') && !r.stdout.includes('hunter2-pw'));
  });
});
