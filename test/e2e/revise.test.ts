import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_CHECK, DEMO_START_PROMPT } from '../../src/cli/demo-project';
import { testsPass } from '../../src/cli/demo-repo';
import { toolJson } from '../support/app-fixture';
import { cwdFromRequest } from '../support/demo-script';
import { startAndWait, withDemoWorker } from '../support/demo-worker';
import type { Reply, RecordedRequest } from '../support/scripted-gateway';

const REVISE_MARK = 'These checks failed after your change';

interface Msg {
  role: string;
  content?: unknown;
}
const text = (c: unknown): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p.text ?? '').join('') : '';

/**
 * A model that gets it wrong first (a * b), then right when resumed with the failing check:
 * Read → Edit → final text on each pass. The pass is told by the revise prompt in the history.
 */
function wrongThenRight(req: RecordedRequest): Reply {
  const usage = { prompt_tokens: 1000, completion_tokens: 50 };
  const messages: Msg[] = req.body.messages ?? [];
  if (!req.body.tools?.length) return { text: '{"title":"Fix add"}', usage };
  const reviseAt = messages.findLastIndex((m) => m.role === 'user' && text(m.content).includes(REVISE_MARK));
  const steps = messages.slice(reviseAt + 1).filter((m) => m.role === 'tool').length;
  const file = `${cwdFromRequest(req.body) ?? '.'}/src/math.js`;
  const [from, to] = reviseAt < 0 ? ['return a - b', 'return a * b'] : ['return a * b', 'return a + b'];
  const plan: Reply[] = [
    { tool_calls: [{ name: 'Read', arguments: { file_path: file } }], usage },
    { tool_calls: [{ name: 'Edit', arguments: { file_path: file, old_string: from, new_string: to } }], usage },
  ];
  return plan[steps] ?? { text: reviseAt < 0 ? 'Changed add().' : 'Fixed add() for real.', usage };
}

describe('@real-cli end to end: bounded auto-revise with the real Claude Code CLI', function () {
  this.timeout(180_000);

  it('resumes the session with the failing check on WORKER_ESCALATE_MODEL, and completes on the second pass', () =>
    withDemoWorker(wrongThenRight, { WORKER_ESCALATE_MODEL: 'gpt-4o' }, async ({ client, gateway, repo }) => {
      const result = await startAndWait(client, {
        prompt: DEMO_START_PROMPT,
        allowed_dirs: [repo],
        checks: [DEMO_CHECK],
        max_revisions: 1,
      });
      assert.equal(result.job_status, 'completed', JSON.stringify(result));
      assert.equal(result.revisions, 1);
      assert.deepEqual(result.checks, ['unit tests: passed']);
      assert.match(readFileSync(join(repo, 'src/math.js'), 'utf8'), /return a \+ b/);
      assert.equal(testsPass(repo), true);
      const revise = gateway.requests.findIndex((r) => JSON.stringify(r.body.messages).includes(REVISE_MARK));
      assert.ok(revise > 0, 'a revise pass reached the gateway');
      assert.ok(
        gateway.requests.slice(0, revise).every((r) => r.body.model === 'gpt-4o-mini'),
        'the first pass ran on the job model',
      );
      assert.ok(
        gateway.requests.slice(revise).every((r) => r.body.model === 'gpt-4o'),
        'the revise pass ran on the escalate model',
      );
      assert.match(JSON.stringify(gateway.requests[revise]!.body.messages), /unit tests: failed/);
      const stats = toolJson(await client.callTool({ name: 'get_spend_stats', arguments: {} }));
      assert.ok(stats.by_model['gpt-4o'].calls >= 1 && stats.by_model['gpt-4o-mini'].calls >= 2);
    }));

  it('stops after max_revisions and reports the job failed with the check line', () =>
    withDemoWorker(wrongThenRight, {}, async ({ client, gateway, repo }) => {
      const result = await startAndWait(client, {
        prompt: DEMO_START_PROMPT,
        allowed_dirs: [repo],
        checks: [DEMO_CHECK],
        max_revisions: 0,
      });
      assert.equal(result.job_status, 'failed');
      assert.equal(result.revisions, 0);
      assert.match(result.checks[0], /^unit tests: failed/);
      assert.match(result.error, /unit tests: failed/);
      assert.ok(!gateway.requests.some((r) => JSON.stringify(r.body.messages).includes(REVISE_MARK)));
    }));
});
