import { strict as assert } from 'node:assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { chatJobLink, jobIdOfLink } from '../../src/vscode/chat-link';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';

const bytes = (v: unknown) => Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v));
/** What VS Code hands the UriHandler for a link: vscode.Uri's path and query are the URL's, decoded once. */
const handled = (link: string) => {
  const u = new URL(link);
  return jobIdOfLink(decodeURIComponent(u.pathname), decodeURIComponent(u.search.slice(1)));
};

describe("the chat link (job results of VS Code's MCP server carry panel_link, which opens the job in the panel)", () => {
  let fx: AppFixture;
  let linked: Client;
  const link = (id: string) => chatJobLink('vscode', id);

  beforeEach(async () => {
    fx = await startAppFixture(() => ({ text: 'Renamed.', usage: { prompt_tokens: 300, completion_tokens: 20 } }));
    // The server AppHost.mcpServer builds for VS Code; fx.client is the one every other host builds (no link).
    const { server } = fx.app.createMcpServer({ jobLink: link });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    linked = new Client({ name: 'vscode-chat-stand-in', version: '0.0.0' });
    await Promise.all([server.connect(serverSide), linked.connect(clientSide)]);
  });
  afterEach(async () => {
    await linked.close();
    await fx.close();
  });

  it("is <scheme>://offload.offload/job?id=<id> in 68 bytes, and the UriHandler's parser gets the id back, refusing other paths and odd ids", () => {
    const id = '0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f';
    assert.equal(link(id), `vscode://offload.offload/job?id=${id}`);
    assert.equal(bytes(link(id)), 68);
    assert.equal(handled(link(id)), id);
    assert.equal(handled(chatJobLink('vscode-insiders', id)), id);
    assert.equal(jobIdOfLink('/other', `id=${id}`), undefined);
    assert.equal(jobIdOfLink('/job', 'id='), undefined);
    assert.equal(jobIdOfLink('/job', 'id=a b"<script>'), undefined);
  });

  it('adds panel_link to run_job, get_job_status, wait and cancel results, in the JSON text and structuredContent alike, and nothing else', async () => {
    const run = (await linked.callTool({
      name: 'run_job',
      arguments: { agent: 'mini-worker', task: 'Rename x to y' },
    })) as CallToolResult;
    const jobId = toolJson(run).job_id as string;
    assert.equal(run.content.length, 1);
    assert.equal(toolJson(run).panel_link, link(jobId));
    assert.equal((run.structuredContent as { panel_link?: string }).panel_link, link(jobId));
    assert.equal(handled(toolJson(run).panel_link as string), jobId);

    const status = (await linked.callTool({ name: 'get_job_status', arguments: { job_id: jobId } })) as CallToolResult;
    assert.equal((status.structuredContent as { panel_link?: string }).panel_link, link(jobId));
    // wait and cancel of an ended job answer the same bytes every time, so the two servers' results compare exactly.
    for (const [name, args] of [
      ['wait', { job_id: jobId, timeout_ms: 1000 }],
      ['cancel', { job_id: jobId }],
    ] as const) {
      const plain = (await fx.client.callTool({ name, arguments: args })) as CallToolResult;
      const withLink = (await linked.callTool({ name, arguments: args })) as CallToolResult;
      const { panel_link: added, ...rest } = withLink.structuredContent as { panel_link?: string };
      assert.equal(added, link(jobId));
      assert.deepEqual(rest, plain.structuredContent, `${name}: otherwise the same structuredContent`);
      // What the model reads grows by the field: `,"panel_link":"<68 bytes>"` is 84 bytes of compact JSON.
      assert.equal(bytes(withLink.structuredContent) - bytes(plain.structuredContent), bytes(link(jobId)) + 16);
    }
  });

  it('adds nothing to a job result of a server built without jobLink (the stdio worker, mcp --http)', async () => {
    const run = (await fx.client.callTool({
      name: 'run_job',
      arguments: { agent: 'mini-worker', task: 'Rename x to y' },
    })) as CallToolResult;
    assert.equal(toolJson(run).job_status, 'completed');
    assert.equal(run.content.length, 1);
    assert.doesNotMatch(JSON.stringify(run), /panel_link|offload\.offload/);
  });
});
