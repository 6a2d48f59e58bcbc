import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { eventually, note, offload, rawInitialize } from './helpers';

/** `<publisher>.<name>/<label>`: how VS Code names a provider's server in workbench.mcp.* commands. */
const SERVER_ID = 'offload.offload/Offload';

describe("VS Code's own MCP client and Offload's HTTP server", () => {
  it('VS Code connects with the bearer token and lists the tools', async () => {
    const api = await offload();
    // The command is a no-op until VS Code has fetched the provider's definitions: retry it.
    let lastStart = 0;
    const listed = await eventually(
      'VS Code to list the tools',
      async () => {
        const found = api.mcpRequests().find((r) => r.rpcMethods.includes('tools/list') && r.status === 200);
        if (!found && Date.now() - lastStart > 2_000) {
          lastStart = Date.now();
          await vscode.commands.executeCommand('workbench.mcp.startServer', SERVER_ID, { autoTrustChanges: true });
        }
        return found;
      },
      30_000,
    );
    const init = api.mcpRequests().find((r) => r.rpcMethods.includes('initialize') && r.status === 200);
    assert.ok(init, 'an accepted initialize request');
    assert.ok(listed.sessionId, 'tools/list inside an MCP session');
    note(
      `      VS Code's MCP client: ${api
        .mcpRequests()
        .filter((r) => r.status === 200)
        .map((r) => r.rpcMethods.join('+') || r.method)
        .join(', ')} (user agent ${listed.userAgent})`,
    );
    assert.equal(
      api.mcpRequests().filter((r) => r.status === 401).length,
      0,
      'VS Code never sent a wrong or missing token',
    );
  });

  it('refuses a wrong token with 401', async () => {
    const { url } = await (await offload()).mcpServer();
    assert.equal(await rawInitialize(url, { authorization: 'Bearer not-the-token' }), 401);
    assert.equal(await rawInitialize(url, {}), 401);
  });

  it('refuses a foreign Host with 403, even with the right token (DNS rebinding)', async () => {
    const { url, token } = await (await offload()).mcpServer();
    const port = new URL(url).port;
    assert.equal(await rawInitialize(url, { authorization: `Bearer ${token}`, host: `attacker.example:${port}` }), 403);
    assert.equal(
      await rawInitialize(url, { authorization: `Bearer ${token}`, origin: 'https://attacker.example' }),
      403,
    );
  });
});
