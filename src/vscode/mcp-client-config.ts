import type { Config } from '../core/config';
import { withoutPassword } from '../core/ledger-url';
import { SETTING_KEYS } from './settings-keys';

/** Clients that take a stdio MCP server config Offload can write for them. */
export type McpClientKind = 'codex' | 'claude-code';

/**
 * Stands in for the key command in copied configs: keys stay in SecretStorage, never on the
 * clipboard, and the worker runs OPENAI_API_KEY_COMMAND once at start-up for its key (so no key sits
 * in plain text in `~/.codex/config.toml` or `.mcp.json`; README, "Use it from Codex…").
 */
export const API_KEY_PLACEHOLDER = '<a command that prints your key, e.g. pass show openai/api-key>';

/** The same stand-in for the team ledger's password (OFFLOAD_LEDGER_PASSWORD_COMMAND). */
const LEDGER_PASSWORD_PLACEHOLDER = '<a command that prints the team ledger password, e.g. pass show offload/ledger>';

/**
 * The environment the bundled worker needs to match this window: every `offload.*` setting the
 * user changed, as the CLI's variable (DESIGN.md names them), plus the ledger path and sandbox
 * roots so the worker spends against the same ledger (a team ledger's URL without its password,
 * and a password command to fill in). API keys and passwords are never included.
 */
export function workerEnv(config: Config, changed: ReadonlySet<string>): Record<string, string> {
  const env: Record<string, string> = { OPENAI_API_KEY_COMMAND: API_KEY_PLACEHOLDER };
  for (const key of SETTING_KEYS) {
    const always = key.config === 'ledgerPath' || key.config === 'sandboxRoots' || key.config === 'monthlyBudgetUsd';
    if (!always && !changed.has(key.name)) continue;
    const value = config[key.config as keyof Config];
    if (value === undefined) continue;
    if (key.config === 'sandboxRoots')
      env[key.env] = (value as string[]).join(process.platform === 'win32' ? ';' : ':');
    else if (Array.isArray(value))
      env[key.env] = value.join(','); // BUDGET_WARN_PCT=80,95 (configFromEnv splits on commas)
    else if (typeof value === 'object') env[key.env] = JSON.stringify(value);
    else if (typeof value === 'boolean') env[key.env] = value ? '1' : '0';
    else env[key.env] = String(value);
  }
  if (config.ledgerUrl) {
    // the team ledger wins over the file (ledgerPath came first); its password stays in SecretStorage
    env.OFFLOAD_LEDGER = withoutPassword(config.ledgerUrl);
    env.OFFLOAD_LEDGER_PASSWORD_COMMAND = LEDGER_PASSWORD_PLACEHOLDER;
  }
  return env;
}

function tomlString(s: string): string {
  return JSON.stringify(s); // TOML basic strings share JSON's escapes for everything we emit
}

/**
 * The MCP server entry for `kind` that starts `node <workerPath> mcp` with `env`:
 * Codex's `~/.codex/config.toml` table, or Claude Code's `.mcp.json` object (also Cursor's).
 * The Codex table approves Offload's tools (`default_tools_approval_mode = "approve"`): under
 * `codex exec` (approval policy "never") every MCP tool call otherwise fails with "MCP tool call
 * requires approval, but approval policy is never" (Codex 0.169, measured; ENVIRONMENT.md).
 * `.mcp.json` has no such field: Claude Code's allow rule (`mcp__offload`) lives in its settings,
 * so the copy command only names it (README; test/e2e/claude-code-client.test.ts).
 */
export function mcpClientConfig(kind: McpClientKind, workerPath: string, env: Record<string, string>): string {
  if (kind === 'codex') {
    const envLine = Object.entries(env)
      .map(([k, v]) => `${k} = ${tomlString(v)}`)
      .join(', ');
    return `[mcp_servers.offload]\ncommand = "node"\nargs = [${tomlString(workerPath)}, "mcp"]\ndefault_tools_approval_mode = "approve"\nenv = { ${envLine} }\n`;
  }
  return `${JSON.stringify({ mcpServers: { offload: { command: 'node', args: [workerPath, 'mcp'], env } } }, null, 2)}\n`;
}
