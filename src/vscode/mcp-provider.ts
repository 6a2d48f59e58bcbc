import * as vscode from 'vscode';
import type { AppHost } from './app-host';
import { loadAppModule } from './load-app';

/** The provider id; package.json `contributes.mcpServerDefinitionProviders` declares the same one (else VS Code offers nothing). */
export const MCP_PROVIDER_ID = 'offload.mcp';
/** The server's label; VS Code names it `<publisher>.<name>/<label>` in commands such as workbench.mcp.startServer. */
export const MCP_SERVER_LABEL = 'Offload';

/**
 * Registers Offload's MCP server with VS Code: one `McpHttpServerDefinition` pointing at the
 * extension host's loopback server, carrying the bearer token. `version` includes TOOLS_VERSION,
 * so VS Code refreshes its cached tool list when the tools change. Never prompts (VS Code calls
 * this in the background).
 */
export function registerMcpProvider(host: AppHost, extensionVersion: string): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const registration = vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
    onDidChangeMcpServerDefinitions: changed.event,
    async provideMcpServerDefinitions() {
      const [server, { TOOLS_VERSION }] = await Promise.all([host.mcpServer(), loadAppModule()]);
      return [
        new vscode.McpHttpServerDefinition(
          MCP_SERVER_LABEL,
          vscode.Uri.parse(server.url),
          { Authorization: `Bearer ${server.token}` },
          `${extensionVersion}+tools.${TOOLS_VERSION}`,
        ),
      ];
    },
    resolveMcpServerDefinition: (definition) => definition,
  });
  return vscode.Disposable.from(registration, changed);
}
