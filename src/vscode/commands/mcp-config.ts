import { join } from 'node:path';
import * as vscode from 'vscode';
import { mcpClientConfig, workerEnv, type McpClientKind } from '../mcp-client-config';
import { changedSettings } from '../settings';
import type { CommandDeps } from './deps';

const WHERE: Record<McpClientKind, string> = {
  codex: '~/.codex/config.toml',
  'claude-code': '.mcp.json (or `claude mcp add-json offload …`; Cursor: ~/.cursor/mcp.json)',
};

/**
 * `offload.copyMcpConfigCodex` / `offload.copyMcpConfigClaudeCode`: copies a stdio MCP server
 * entry that runs the bundled `dist/worker.js` with this window's settings (same ledger, caps,
 * sandbox). The key is an OPENAI_API_KEY_COMMAND placeholder: keys never leave SecretStorage. Resolves with the text.
 */
export async function copyMcpConfig(deps: CommandDeps, kind: McpClientKind): Promise<string> {
  const app = await deps.host.getApp();
  const text = mcpClientConfig(kind, join(deps.context.extensionPath, 'dist', 'worker.js'), workerEnv(app.config, changedSettings()));
  await vscode.env.clipboard.writeText(text);
  void vscode.window.showInformationMessage(`Offload: MCP config copied. Paste it into ${WHERE[kind]} and replace the placeholder with a command that prints your key (OPENAI_API_KEY_COMMAND).`);
  return text;
}
