import * as vscode from 'vscode';
import { SHOW_JOBS_COMMAND } from '../status-bar';
import { cancelJob, startAgentJob } from './agent-job';
import { clearApiKey, setApiKey } from './api-key';
import { resetBreaker, tripBreaker } from './breaker';
import type { CommandDeps } from './deps';
import { runDoctor } from './doctor';
import { setLedgerPassword } from './ledger-password';
import { copyMcpConfig } from './mcp-config';
import { runJobOnSelection } from './run-on-selection';
import { applyTreeJob, cancelTreeJob, discardTreeJob, openJob, openPanel } from './panel';

/**
 * The one list of commands (package.json `contributes.commands` declares each id, category
 * "Offload"). Handlers take optional arguments so tests and keybindings can skip the prompts.
 */
export const COMMANDS: Record<string, (deps: CommandDeps, args?: never) => Promise<unknown>> = {
  'offload.setApiKey': setApiKey,
  'offload.clearApiKey': clearApiKey,
  'offload.runJobOnSelection': runJobOnSelection,
  'offload.startAgentJob': startAgentJob,
  'offload.cancelJob': cancelJob,
  // The older entry points (kept ids: keybindings, budget warnings) open the panel too.
  'offload.showSpend': (deps) => openPanel(deps, { view: 'spend' }),
  [SHOW_JOBS_COMMAND]: (deps) => openPanel(deps, { view: 'queue' }),
  'offload.copyMcpConfigCodex': (deps) => copyMcpConfig(deps, 'codex'),
  'offload.copyMcpConfigClaudeCode': (deps) => copyMcpConfig(deps, 'claude-code'),
  'offload.setLedgerPassword': setLedgerPassword,
  'offload.runDoctor': runDoctor,
  'offload.tripBreaker': tripBreaker,
  'offload.resetBreaker': resetBreaker,
  'offload.openPanel': openPanel,
  'offload.openJob': openJob,
  'offload.job.cancel': cancelTreeJob,
  'offload.job.apply': applyTreeJob,
  'offload.job.discard': discardTreeJob,
};

/** Registers every command; a handler's error is logged and shown, never thrown into VS Code. */
export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (args?: never) => {
      try {
        return await handler(deps, args);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        deps.log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`Offload: ${message}`);
        return undefined;
      }
    }),
  );
}
