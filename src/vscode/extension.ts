import * as vscode from 'vscode';

/**
 * Extension entry. This slice only opens the "Offload" log channel; the MCP server provider,
 * status bar, panel and commands are built on the same `createApp` in issue #3.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Offload', { log: true });
  context.subscriptions.push(log);
  log.info('Offload activated');
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
