import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { TEXT_MAX_BYTES } from '../../src/core/input-limits';
import { startAppFixture, toolError, toolJson } from '../support/app-fixture';

/**
 * TEXT_MAX_BYTES is chosen below Linux's MAX_ARG_STRLEN because the Claude Code CLI takes its
 * prompt as one argv string. This shows the bound works where a user meets it: a `start` prompt
 * of exactly TEXT_MAX_BYTES goes through the real CLI and the adapter to the gateway whole, and
 * one byte more is refused by name before any job exists.
 */
describe('@real-cli the prompt limit with the real Claude Code CLI', function () {
  this.timeout(90_000);
  before(function () {
    assert.ok(
      existsSync(resolve('node_modules/.bin/claude')),
      'the real Claude Code CLI is missing from node_modules/.bin: run npm install (@anthropic-ai/claude-code is a devDependency)',
    );
  });

  it('carries a TEXT_MAX_BYTES prompt to the gateway whole, and refuses one byte more by name', async () => {
    const fx = await startAppFixture(() => ({
      text: 'Nothing to change.',
      usage: { prompt_tokens: 30_000, completion_tokens: 5 },
    }));
    try {
      const repo = join(fx.sandbox, 'repo');
      mkdirSync(repo);
      await execa('git', ['init', '-q'], { cwd: repo });
      const head = 'Reply with one sentence. Context follows. ';
      const prompt = head + 'p'.repeat(TEXT_MAX_BYTES - head.length);
      const over = toolError(
        await fx.client.callTool({ name: 'start', arguments: { prompt: `${prompt}p`, allowed_dirs: [repo] } }),
      );
      assert.match(
        over,
        new RegExp(`prompt is ${TEXT_MAX_BYTES + 1} bytes; the limit is ${TEXT_MAX_BYTES} bytes \\(TEXT_MAX_BYTES\\)`),
      );
      assert.equal((await fx.app.ledger.listJobs()).length, 0);
      const started = toolJson(
        await fx.client.callTool({ name: 'start', arguments: { prompt, allowed_dirs: [repo], include_diff: false } }),
      );
      const done = toolJson(
        await fx.client.callTool({ name: 'wait', arguments: { job_id: started.job_id, timeout_ms: 80_000 } }),
      );
      assert.equal(done.job_status, 'completed', JSON.stringify(done).slice(0, 500));
      const sent = fx.gateway.requests.map((r) => JSON.stringify(r.body.messages));
      assert.ok(
        sent.some((m) => m.includes(prompt)),
        'the gateway got the whole prompt',
      );
    } finally {
      await fx.close();
    }
  });
});
