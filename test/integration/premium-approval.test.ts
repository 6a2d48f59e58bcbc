import { strict as assert } from 'node:assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';

/** A second client on the fixture's app; `answer` set → it declares elicitation and answers with it. */
async function clientOf(
  fx: AppFixture,
  answer?: 'accept' | 'decline',
): Promise<{ client: Client; questions: string[] }> {
  const questions: string[] = [];
  const client = new Client(
    { name: 'approval-test', version: '0.0.0' },
    { capabilities: answer ? { elicitation: { form: {} } } : {} },
  );
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      questions.push(String(req.params.message));
      return answer === 'accept' ? { action: 'accept', content: { approve: true } } : { action: 'decline' };
    });
  }
  const { server } = fx.app.createMcpServer();
  const [c, s] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(s), client.connect(c)]);
  return { client, questions };
}

const PREMIUM = { name: 'run_job', arguments: { agent: 'premium-worker', task: 'Review this design' } };

describe('premium approval through MCP elicitation (real app, scripted gateway)', () => {
  let fx: AppFixture;
  beforeEach(async () => {
    fx = await startAppFixture(() => ({ text: 'reviewed', usage: { prompt_tokens: 50, completion_tokens: 20 } }));
  });
  afterEach(async () => {
    await fx.close();
  });

  it('runs a premium-worker job when the user accepts, after showing the forecast range', async () => {
    const { client, questions } = await clientOf(fx, 'accept');
    const result = toolJson(await client.callTool(PREMIUM));
    assert.equal(result.job_status, 'completed');
    assert.equal(questions.length, 1);
    assert.match(questions[0]!, /premium-worker job on o1-mini\? Estimated cost \$[\d.]+–\$[\d.]+/);
    await client.close();
  });

  it('rejects the job without calling the gateway when the user declines', async () => {
    const { client } = await clientOf(fx, 'decline');
    const result = toolJson(await client.callTool(PREMIUM));
    assert.equal(result.job_status, 'rejected');
    assert.match(result.error, /the user declined.*PREMIUM_AUTO_APPROVE=1/);
    assert.equal(fx.gateway.requests.length, 0);
    await client.close();
  });

  it('rejects with how to approve when the client cannot elicit, and does not ask for mini-worker jobs', async () => {
    const result = toolJson(await fx.client.callTool(PREMIUM));
    assert.equal(result.job_status, 'rejected');
    assert.match(result.error, /cannot ask for approval \(no MCP elicitation\).*PREMIUM_AUTO_APPROVE=1/);
    assert.match(result.error, /Estimated cost/);
    const mini = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'x' } }),
    );
    assert.equal(mini.job_status, 'completed');
  });

  it('asks for a mini-worker job whose forecast exceeds APPROVAL_THRESHOLD_USD', async () => {
    await fx.close();
    fx = await startAppFixture(() => ({ text: 'ok' }), { approvalThresholdUsd: 0.000001 });
    const result = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'x' } }),
    );
    assert.equal(result.job_status, 'rejected');
    assert.match(result.error, /exceeds the approval threshold/);
  });

  describe('with a host approver (the VS Code modal)', () => {
    /** Restarts the fixture with a host approver that answers `yes` and records its questions. */
    async function withHost(yes: boolean): Promise<string[]> {
      await fx.close();
      const asked: string[] = [];
      fx = await startAppFixture(
        () => ({ text: 'reviewed', usage: { prompt_tokens: 50, completion_tokens: 20 } }),
        {},
        {
          approve: async (q) => {
            asked.push(q);
            return yes;
          },
        },
      );
      return asked;
    }

    it('asks the host when the client cannot elicit, and runs the job on a yes', async () => {
      const asked = await withHost(true);
      const result = toolJson(await fx.client.callTool(PREMIUM));
      assert.equal(result.job_status, 'completed');
      assert.equal(asked.length, 1);
      assert.match(asked[0]!, /premium-worker job on o1-mini\? Estimated cost \$[\d.]+–\$[\d.]+/);
      assert.equal(fx.gateway.requests.length, 1);
    });

    it('rejects the job without calling the gateway when the host says no', async () => {
      await withHost(false);
      const result = toolJson(await fx.client.callTool(PREMIUM));
      assert.equal(result.job_status, 'rejected');
      assert.match(result.error, /the user declined/);
      assert.equal(fx.gateway.requests.length, 0);
    });

    it('prefers MCP elicitation over the host when the client supports it', async () => {
      const asked = await withHost(true);
      const { client, questions } = await clientOf(fx, 'decline');
      const result = toolJson(await client.callTool(PREMIUM));
      assert.equal(result.job_status, 'rejected');
      assert.equal(questions.length, 1, 'the client was asked');
      assert.deepEqual(asked, [], 'the host was not');
      await client.close();
    });
  });

  it('runs premium-worker jobs without asking when PREMIUM_AUTO_APPROVE is set', async () => {
    await fx.close();
    fx = await startAppFixture(() => ({ text: 'ok' }), { premiumAutoApprove: true });
    assert.equal(toolJson(await fx.client.callTool(PREMIUM)).job_status, 'completed');
  });
});

describe('premium approval in queue_batch (real app, scripted gateway)', () => {
  let fx: AppFixture;
  beforeEach(async () => {
    fx = await startAppFixture(() => ({ text: 'done', usage: { prompt_tokens: 50, completion_tokens: 20 } }));
  });
  afterEach(async () => {
    await fx.close();
  });

  const BATCH = {
    name: 'queue_batch',
    arguments: {
      jobs: [
        { agent: 'mini-worker', task: 'format a' },
        { agent: 'premium-worker', task: 'review b' },
        { agent: 'premium-worker', task: 'review c' },
      ],
    },
  };

  it('asks once for every premium job of the batch and queues them all on a yes', async () => {
    const { client, questions } = await clientOf(fx, 'accept');
    const queued = toolJson(await client.callTool(BATCH));
    assert.equal(questions.length, 1);
    assert.match(questions[0]!, /2 jobs of this batch need approval/);
    for (const { job_id } of queued.jobs) {
      const done = toolJson(await client.callTool({ name: 'wait', arguments: { job_id, timeout_ms: 10_000 } }));
      assert.equal(done.job_status, 'completed');
    }
    await client.close();
  });

  it('rejects the premium jobs and still runs the rest when the client cannot ask', async () => {
    const queued = toolJson(await fx.client.callTool(BATCH));
    const statuses = [];
    for (const { job_id } of queued.jobs)
      statuses.push(
        toolJson(await fx.client.callTool({ name: 'wait', arguments: { job_id, timeout_ms: 10_000 } })).job_status,
      );
    assert.deepEqual(statuses, ['completed', 'rejected', 'rejected']);
    assert.equal(fx.gateway.requests.length, 1, 'only the mini-worker job called the gateway');
  });
});
