import type * as vscode from 'vscode';
import type { AppHost } from '../app-host';
import type { RedactingLog } from '../log';
import type { ApiKeyStore } from '../secrets';

/** What every command handler gets. */
export interface CommandDeps {
  context: vscode.ExtensionContext;
  host: AppHost;
  keys: ApiKeyStore;
  log: RedactingLog;
}
