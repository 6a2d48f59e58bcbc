import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_CHECK, DEMO_START_PROMPT } from '../../src/cli/demo-project';
import { testsPass } from '../../src/cli/demo-repo';
import { PriceBook } from '../../src/core/pricing';
import { usageFromOpenAI } from '../../src/core/usage';
import { toolJson } from '../support/app-fixture';
import { demoScript } from '../support/demo-script';
import { startAndWait, waitDone, withDemoWorker } from '../support/demo-worker';
import type { RecordedRequest, Reply, ScriptedGateway } from '../support/scripted-gateway';
import { WORKER } from '../support/worker-client';

const run = promisify(execFile);
const play = demoScript as (req: RecordedRequest, i: number) => Reply;

/** Expected ledger spend: every usage the gateway reported, priced call by call (µUSD). */
function expectedMicros(gateway: ScriptedGateway): number {
  const prices = new PriceBook();
  return gateway.requests.reduce(
    (sum, r) => sum + (r.reportedUsage ? prices.cost(String(r.body.model), usageFromOpenAI(r.reportedUsage)) : 0),
    0,
  );
}

describe('@real-cli end to end: the real Claude Code CLI through the worker, the adapter and the scripted gateway', function () {
  this.timeout(180_000);

  it('fixes the failing test: completed, the edited file named, the check passing, spend = usage × price', () =>
    withDemoWorker(demoScript, {}, async ({ client, gateway, repo }) => {
      assert.equal(testsPass(repo), false, 'the demo project starts with a failing test');
      const started = toolJson(
        await client.callTool({
          name: 'start',
          arguments: { prompt: DEMO_START_PROMPT, allowed_dirs: [repo], checks: [DEMO_CHECK] },
        }),
      );
      assert.ok(['queued', 'running'].includes(started.job_status));
      const result = await waitDone(client, started.job_id);
      assert.equal(result.job_status, 'completed', JSON.stringify(result));
      assert.deepEqual(result.changed_files, ['src/math.js']);
      assert.deepEqual(result.checks, ['unit tests: passed']);
      assert.match(result.diff, /-  return a - b;\n\+  return a \+ b;/);
      assert.match(readFileSync(join(repo, 'src/math.js'), 'utf8'), /return a \+ b/);
      assert.equal(testsPass(repo), true);

      // Every upstream call went to the gateway model, under the job's own adapter key, and was billed.
      const calls = gateway.requests.filter((r) => r.reportedUsage);
      assert.ok(calls.length >= 4, `expected the Read, Edit, Bash and final turns, got ${calls.length}`);
      assert.ok(gateway.requests.every((r) => r.body.model === 'gpt-4o-mini'));
      const expected = expectedMicros(gateway);
      assert.equal(Math.round(result.cost_usd * 1e6), expected);
      const stats = toolJson(await client.callTool({ name: 'get_spend_stats', arguments: {} }));
      assert.equal(Math.round(stats.current_month * 1e6), expected);
      assert.equal(stats.reservations_in_flight, 0);

      const tail = toolJson(await client.callTool({ name: 'tail', arguments: { job_id: started.job_id, lines: 50 } }));
      assert.ok(
        tail.lines.some((l: string) => /tool: Edit .*src\/math\.js/.test(l)),
        tail.lines.join('\n'),
      );
      assert.ok(tail.lines.includes('unit tests: passed'));
    }));

  it('refuses a job whose max_cost_usd cannot cover its first call before it starts: budget_exceeded, no file changed, nothing billed', () =>
    withDemoWorker(demoScript, {}, async ({ client, gateway, repo }) => {
      const result = await startAndWait(client, {
        prompt: DEMO_START_PROMPT,
        allowed_dirs: [repo],
        max_cost_usd: 0.000001,
      });
      assert.equal(result.job_status, 'budget_exceeded', JSON.stringify(result));
      assert.match(
        result.error,
        /refused before it started: its forecast's low end \$[\d.]+ exceeds its cap of \$0\.000001/,
      );
      assert.equal(result.changed_files, undefined, 'the job never ran');
      assert.match(readFileSync(join(repo, 'src/math.js'), 'utf8'), /return a - b/);
      assert.equal(result.cost_usd, 0);
      assert.equal(gateway.requests.length, 0);
    }));

  it('cancels a running job: it ends cancelled, nothing is edited, no reservation stays held', () =>
    withDemoWorker(
      (req, i) => (i === 0 ? ({ ...play(req, i), delayMs: 30_000 } as Reply) : play(req, i)),
      {},
      async ({ client, gateway, repo }) => {
        const started = toolJson(
          await client.callTool({ name: 'start', arguments: { prompt: DEMO_START_PROMPT, allowed_dirs: [repo] } }),
        );
        const deadline = Date.now() + 60_000;
        while (gateway.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(gateway.requests.length, 1, 'the first upstream call is in flight');
        const cancelled = toolJson(await client.callTool({ name: 'cancel', arguments: { job_id: started.job_id } }));
        assert.deepEqual(
          [cancelled.cancelled, cancelled.cancel],
          [true, 'stopped'],
          'stopped by the process that runs it',
        );
        assert.equal(cancelled.job_status, 'cancelled');
        const stats = toolJson(await client.callTool({ name: 'get_spend_stats', arguments: {} }));
        assert.equal(stats.reservations_in_flight, 0);
        assert.equal(testsPass(repo), false, 'nothing was edited');
      },
    ));

  it('with WORKER_ISOLATION=worktree, fixes the test in a worktree on its own branch and leaves the checkout untouched', () =>
    withDemoWorker(demoScript, { WORKER_ISOLATION: 'worktree' }, async ({ client, repo }) => {
      const result = await startAndWait(client, {
        prompt: DEMO_START_PROMPT,
        allowed_dirs: [repo],
        checks: [DEMO_CHECK],
      });
      assert.equal(result.job_status, 'completed', JSON.stringify(result));
      assert.deepEqual(result.changed_files, ['src/math.js']);
      assert.ok(result.worktree && result.worktree !== repo);
      assert.equal(result.branch, `offload/${String(result.job_id).slice(0, 8)}`);
      assert.match(readFileSync(join(result.worktree, 'src/math.js'), 'utf8'), /return a \+ b/);
      assert.match(readFileSync(join(repo, 'src/math.js'), 'utf8'), /return a - b/, 'the checkout is untouched');
      assert.equal(testsPass(repo), false);
    }));

  it('runs `offload-worker demo`, the main job, to "demo: OK" with no API key set', async () => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    delete env.ONEAPI_API_KEY;
    const { stdout } = await run(process.execPath, [WORKER, 'demo'], {
      env,
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    assert.match(stdout, /scripted gateway .* stand-in for the model provider/);
    assert.match(stdout, /"job_status": "completed"/);
    assert.match(stdout, /"changed_files": \[\s*"src\/math\.js"\s*\]/);
    assert.match(stdout, /"unit tests: passed"/);
    assert.match(
      stdout,
      /"savings": \{\s*"transcript_bytes": \d+,\s*"returned_bytes": \d+,\s*"caller_tokens_avoided": \d+/,
    );
    assert.match(
      stdout,
      /^demo: start receipt: returned \d+ bytes for a \d+-byte transcript \(transcript ÷ result: [\d.]+×\), ~\d+ tokens .* saved \$[\d.]+$/m,
    );
    assert.match(stdout, /^demo: run_job receipt: /m);
    assert.match(stdout, /the sample repo's test passes afterwards: yes/);
    assert.match(stdout, /ledger spend [\d.]+ USD = scripted usage × price/);
    assert.match(stdout, /^demo: OK$/m);
  });
});
