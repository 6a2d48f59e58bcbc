import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

describe('offload-worker commands (built dist/worker.js)', function () {
  this.timeout(60_000);
  let gateway: ScriptedGateway;
  let env: Record<string, string>;

  before(async () => {
    gateway = await startScriptedGateway({
      script: () => ({ text: 'OK', usage: { prompt_tokens: 30, completion_tokens: 1 } }),
    });
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-cli-')));
    env = {
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key-123456',
      OFFLOAD_LEDGER: join(dir, 'ledger.sqlite'),
      SANDBOX_ROOT: dir,
    };
  });
  after(async () => {
    await gateway.close();
  });

  it('smoke makes one billed call and exits 0', async () => {
    const r = await cli(['smoke'], env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.job_status, 'completed');
    assert.equal(out.output, 'OK');
    assert.ok(out.cost_usd > 0);
    assert.equal(gateway.requests.at(-1)!.body.max_tokens, 16);
  });

  it('spend prints the month from the same ledger file', async () => {
    const r = await cli(['spend'], env);
    assert.equal(r.code, 0, r.stderr);
    const stats = JSON.parse(r.stdout);
    assert.ok(stats.current_month > 0);
    assert.equal(stats.total_budget, 25);
  });

  it('doctor reports each check and never prints the API key', async () => {
    const r = await cli(['doctor', '--network'], env);
    assert.match(r.stdout, /ok {3}ledger: /);
    assert.match(r.stdout, /ok {3}Claude Code: 2\.\d+\.\d+/);
    assert.match(r.stdout, /gateway: .* answered GET \/models with 200/);
    assert.ok(!r.stdout.includes('scripted-key-123456'));
    assert.equal(r.code, 0, r.stdout);
  });

  it('doctor shows the daily cap with the monthly one (capsOf), and never prints a fallback key that a URL echoes', async () => {
    const fallback = 'fallbackdoctor987654321';
    const r = await cli(['doctor', '--network'], {
      ...env,
      DAILY_BUDGET: '2',
      FALLBACK_API_KEY: fallback,
      OPENAI_BASE_URL: `http://127.0.0.1:9/${fallback}`,
    });
    assert.match(r.stdout, /ok {3}configuration: budget \$\d+(\.\d+)?\/month, \$2\/day, /);
    assert.ok(!r.stdout.includes(fallback), r.stdout);
  });

  it('rejects an unknown command with exit 2 and the usage', async () => {
    const r = await cli(['frobnicate'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /usage: offload-worker <command>/);
  });

  it('names the variable and what is allowed when configuration is invalid', async () => {
    const r = await cli(['spend'], { ...env, CLAUDE_PERMISSION_MODE: 'yolo' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /CLAUDE_PERMISSION_MODE/);
    assert.match(r.stderr, /acceptEdits/);
  });
});
