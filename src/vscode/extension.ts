import * as vscode from 'vscode';
import { AppHost } from './app-host';
import { BudgetWarnings } from './budget-warnings';
import { registerCommands } from './commands';
import { restartApp } from './commands/restart';
import { RedactingLog } from './log';
import { registerMcpProvider } from './mcp-provider';
import { ApiKeyStore } from './secrets';
import { loadConfig, onDidChangeSettings } from './settings';
import { CAP_SETTINGS } from './settings-keys';
import { OffloadStatusBar } from './status-bar';
import { linkHandler } from './link-handler';
import { registerJobContent } from './job-content';
import { JobsPanel } from './panel/controller';
import { JobsTree } from './sidebar/jobs-tree';
import { createTestApi, type OffloadTestApi } from './test-api';

/** Set by esbuild's banner when the bundle starts evaluating (esbuild.mjs), for the activation time. */
declare const globalThis: { __offloadBundleStart?: number };
/** Time to evaluate dist/extension.js, ms (its imports have run by the time this line does). */
const bundleLoadMs =
  globalThis.__offloadBundleStart !== undefined ? performance.now() - globalThis.__offloadBundleStart : 0;

let host: AppHost | undefined;

/**
 * Extension entry (DESIGN.md, "Shape"): wires the log, API keys, the app host, the MCP server
 * provider, the status bar with its budget warnings, and the commands. Nothing here waits for the
 * ledger (sql.js WASM): the app is built in the background right after activation, and on first use.
 * Returns the test API in `ExtensionMode.Test`, else undefined.
 */
export function activate(context: vscode.ExtensionContext): OffloadTestApi | undefined {
  const started = performance.now();
  const channel = vscode.window.createOutputChannel('Offload', { log: true });
  const keys = new ApiKeyStore(context.secrets, process.env);
  const log = new RedactingLog(channel, () => keys.known());
  const storageDir = context.globalStorageUri.fsPath;
  host = new AppHost(() => loadConfig(keys, storageDir), log);
  const statusBar = new OffloadStatusBar(host);
  const warnings = new BudgetWarnings(context.globalState, log);
  const deps = { context, host, keys, log };
  const tree = new JobsTree(host);
  const links = linkHandler(log);
  context.subscriptions.push(
    channel,
    host,
    statusBar,
    statusBar.onDidReadSpend((stats) => void warnings.check(stats)),
    registerMcpProvider(host, String(context.extension.packageJSON.version ?? '0.0.0')),
    ...registerCommands(deps),
    tree,
    vscode.window.registerTreeDataProvider('offload.jobs', tree),
    registerJobContent(host),
    JobsPanel.registerSerializer({ host, log, extensionUri: context.extensionUri }),
    vscode.window.registerUriHandler(links), // the chat link (chat-link.ts) opens its job in the panel
    keys.onDidChange(() => void restartApp(deps.host, 'an API key changed')),
    onDidChangeSettings((names) => void applySettings(host!, names, keys, storageDir, log)),
  );
  const activateMs = performance.now() - started;
  // Our cost: evaluating the bundle plus activate() (VS Code's own work between the two is not counted).
  const activationMs = bundleLoadMs + activateMs;
  log.info(
    `activated in ${activationMs.toFixed(1)} ms (bundle ${bundleLoadMs.toFixed(1)} ms + activate ${activateMs.toFixed(1)} ms; the app and ledger load in the background)`,
  );
  // Warm up after activation returns: the MCP listener, then the app (sql.js WASM) and the status bar.
  setTimeout(() => {
    void host?.mcpServer();
    statusBar.schedule(0);
  }, 0);
  return context.extensionMode === vscode.ExtensionMode.Test
    ? createTestApi({ tree, links, host, keys, statusBar, warnings, activationMs, activateMs })
    : undefined;
}

/** Caps apply to the running ledger at once; any other setting restarts the app (asking first when jobs run). */
async function applySettings(
  appHost: AppHost,
  names: string[],
  keys: ApiKeyStore,
  storageDir: string,
  log: RedactingLog,
): Promise<void> {
  try {
    const config = await loadConfig(keys, storageDir);
    if (names.every((n) => CAP_SETTINGS.has(n))) {
      await appHost.applyCaps(config);
      log.info(
        `caps updated: $${config.monthlyBudgetUsd}/month${config.dailyBudgetUsd !== undefined ? `, $${config.dailyBudgetUsd}/day` : ''}`,
      );
      return;
    }
    await restartApp(appHost, `settings changed (${names.map((n) => `offload.${n}`).join(', ')})`);
  } catch (err) {
    log.error(`settings not applied: ${err instanceof Error ? err.message : String(err)}`);
    void vscode.window.showErrorMessage(`Offload: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Closes the app (cancelling its jobs, releasing their reservations) and the MCP server. */
export async function deactivate(): Promise<void> {
  await host?.close();
  host = undefined;
}
