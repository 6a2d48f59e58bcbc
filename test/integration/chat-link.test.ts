import { strict as assert } from 'node:assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { chatJobLink, OPEN_JOB_COMMAND } from '../../src/vscode/chat-link';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';

/** What VS Code's CommandOpener (openerService.ts) runs for a `command:` link: the command id and its arguments. */
function openedBy(link: string): { command: string; args: unknown[] } {
  const target = new URL(/\]\((command:[^)]+)\)$/.exec(link)![1]!);
  const parsed: unknown = JSON.parse(decodeURIComponent(target.search.slice(1)));
  return { command: target.pathname, args: Array.isArray(parsed) ? parsed : [parsed] };
}

const bytes = (v: unknown) => Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v));

describe('the chat link (job results of VS Code\'s MCP server open the job in the panel)', () => {
  let fx: AppFixture;
  let linked: Client;

  beforeEach(async () => {
    fx = await startAppFixture(() => ({ text: 'Renamed.', usage: { prompt_tokens: 300, completion_tokens: 20 } }));
    // The server AppHost.mcpServer builds for VS Code; fx.client is the one every other host builds (no link).
    const { server } = fx.app.createMcpServer({ jobLink: chatJobLink });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    linked = new Client({ name: 'vscode-chat-stand-in', version: '0.0.0' });
    await Promise.all([server.connect(serverSide), linked.connect(clientSide)]);
  });
  afterEach(async () => {
    await linked.close();
    await fx.close();
  });

  it('is a markdown command link that runs offload.openJob with the job id, in at most 80 bytes', () => {
    const id = '0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f';
    const link = chatJobLink(id);
    assert.match(link, /^\[Open job\]\(command:offload\.openJob\?[^)\s]+\)$/);
    assert.deepEqual(openedBy(link), { command: OPEN_JOB_COMMAND, args: [id] });
    assert.equal(bytes(link), 78);
  });

  it('adds one text block to run_job, get_job_status, wait and cancel results and leaves the JSON and structuredContent as they are', async () => {
    const run = await linked.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Rename x to y' } }) as CallToolResult;
    const jobId = toolJson(run).job_id as string;
    assert.equal(run.content.length, 2);
    assert.deepEqual(run.content[1], { type: 'text', text: chatJobLink(jobId) });
    assert.deepEqual(openedBy((run.content[1] as { text: string }).text).args, [jobId]);

    const status = await linked.callTool({ name: 'get_job_status', arguments: { job_id: jobId } }) as CallToolResult;
    assert.deepEqual(status.content.slice(1), [{ type: 'text', text: chatJobLink(jobId) }]);
    // wait and cancel of an ended job answer the same bytes every time, so the two servers' results compare exactly.
    for (const [name, args] of [['wait', { job_id: jobId, timeout_ms: 1000 }], ['cancel', { job_id: jobId }]] as const) {
      const plain = await fx.client.callTool({ name, arguments: args }) as CallToolResult;
      const withLink = await linked.callTool({ name, arguments: args }) as CallToolResult;
      assert.equal(plain.content.length, 1, `${name}: a server without jobLink adds nothing`);
      assert.deepEqual(withLink.content[0], plain.content[0], `${name}: same JSON text`);
      assert.deepEqual(withLink.structuredContent, plain.structuredContent, `${name}: same structuredContent`);
      const link = chatJobLink(jobId);
      assert.deepEqual(withLink.content.slice(1), [{ type: 'text', text: link }]);
      // The cost on the wire: the link's 78 bytes plus its block's JSON, `,{"type":"text","text":""}`.
      assert.ok(bytes(link) <= 80, `link ${bytes(link)} bytes`);
      assert.equal(bytes(withLink) - bytes(plain), bytes(link) + 26);
    }
  });

  it('adds nothing to a job result of a server built without jobLink (the stdio worker, mcp --http)', async () => {
    const run = await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Rename x to y' } }) as CallToolResult;
    assert.equal(toolJson(run).job_status, 'completed');
    assert.equal(run.content.length, 1);
    assert.doesNotMatch(JSON.stringify(run), /command:/);
  });
});
