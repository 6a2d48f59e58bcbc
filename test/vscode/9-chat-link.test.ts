/**
 * The chat link (src/vscode/chat-link.ts): a job result of the extension's own MCP server (the one
 * VS Code agent mode calls) carries `panel_link`, and opening that link the way a click in the chat
 * does in desktop VS Code (it hands the link to Offload's UriHandler) opens the job in the panel.
 * code-server routes external links through the browser, so the test gives the link to the
 * registered handler through the test API. Runs on the job 8-panel.test.ts left, so the panel still shows that job for
 * the after-reload phase.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { eventually, fixtureDir, offload, PANEL_JOB_FILE, webviewTexts } from './helpers';

describe("the chat link in job results of VS Code's MCP server", () => {
  it('get_job_status carries panel_link, and opening it shows the job in the panel', async () => {
    const dir = fixtureDir();
    assert.ok(dir && existsSync(join(dir, PANEL_JOB_FILE)), `8-panel left no ${PANEL_JOB_FILE}`);
    const { jobId } = JSON.parse(readFileSync(join(dir, PANEL_JOB_FILE), 'utf8')) as { jobId: string };
    const api = await offload();
    const { url, token } = await api.mcpServer();
    // A settings change at the end of 8-panel restarts the app, which ends open MCP sessions; a
    // client told "session not found" starts a new one (MCP, Streamable HTTP), and so does this test.
    const link = await eventually('get_job_status through a live session', async () => {
      const client = new Client({ name: 'offload-vscode-test', version: '0.0.0' });
      try {
        await client.connect(
          new StreamableHTTPClientTransport(new URL(url), {
            requestInit: { headers: { Authorization: `Bearer ${token}` } },
          }),
        );
        const status = await client.callTool({ name: 'get_job_status', arguments: { job_id: jobId } });
        return (status.structuredContent as { panel_link?: string }).panel_link;
      } catch (err) {
        if (!/session not found/.test(String(err))) throw err;
        return undefined;
      } finally {
        await client.close();
      }
    });
    assert.equal(link, `${vscode.env.uriScheme}://offload.offload/job?id=${jobId}`);

    // Another job first, so the panel shows something else until the link is opened.
    const other = (await (await api.app()).ledger.listJobs(20)).find((j) => j.id !== jobId);
    assert.ok(other, 'earlier suites left another job');
    await vscode.commands.executeCommand('offload.openJob', other.id);
    await eventually(
      "the other job's detail",
      async () =>
        (await webviewTexts(`body[data-ready="1"][data-open-job="${other.id}"] #detail [data-field=status]`, 2_000))
          .length === 1,
    );
    // What VS Code does with the link in desktop builds: hands it to the extension's UriHandler. In
    // code-server an external link goes through the browser, so the test hands it over itself.
    api.handleUri(link);
    const shown = await eventually(
      "the linked job's detail",
      async () =>
        (await webviewTexts(`body[data-view="queue"][data-open-job="${jobId}"] #detail [data-field=status]`, 2_000))[0],
    );
    assert.match(shown, /discarded/);
  });
});
