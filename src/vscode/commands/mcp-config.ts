import { join } from 'node:path';
import * as vscode from 'vscode';
import { mcpClientConfig, workerEnv, type McpClientKind } from '../mcp-client-config';
import { changedSettings } from '../settings';
import type { CommandDeps } from './deps';

const WHERE: Record<McpClientKind, string> = {
  codex: '~/.codex/config.toml',
  'claude-code':
    '.mcp.json (or give `claude mcp add-json offload …` the object under "offload"; Cursor: ~/.cursor/mcp.json)',
};

/** What else the client needs (README, "Use it from Codex…"): `claude -p` refuses MCP tools not allowed beforehand (2.1.197). */
const ALSO: Record<McpClientKind, string> = {
  codex: '',
  'claude-code':
    ' For claude -p, also allow its tools: "permissions": {"allow": ["mcp__offload"]} in ~/.claude/settings.json, or --allowedTools mcp__offload.',
};

/**
 * `offload.copyMcpConfigCodex` / `offload.copyMcpConfigClaudeCode`: copies a stdio MCP server
 * entry that runs the bundled `dist/worker.js` with this window's settings (same ledger, caps,
 * sandbox). The key is an OPENAI_API_KEY_COMMAND placeholder: keys never leave SecretStorage. Resolves with the text.
 */
export async function copyMcpConfig(deps: CommandDeps, kind: McpClientKind): Promise<string> {
  const app = await deps.host.getApp();
  const text = mcpClientConfig(
    kind,
    join(deps.context.extensionPath, 'dist', 'worker.js'),
    workerEnv(app.config, changedSettings()),
  );
  await vscode.env.clipboard.writeText(text);
  void vscode.window.showInformationMessage(
    `Offload: MCP config copied. Paste it into ${WHERE[kind]} and replace the placeholder with a command that prints your key (OPENAI_API_KEY_COMMAND).${ALSO[kind]}`,
  );
  return text;
}
