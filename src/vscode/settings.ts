import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { Config } from '../core/config';
import { loadAppModule } from './load-app';
import { LEDGER_PASSWORD_SLOT, type ApiKeyStore } from './secrets';
import { configInputFromSettings, SETTING_KEYS, settingNameOf } from './settings-keys';

const SECTION = 'offload';

/**
 * Reads one setting. Application- and machine-scoped settings come from user settings only
 * (`globalValue`), so workspace settings cannot raise a cap even if VS Code's own scope check
 * were bypassed; unset means the schema default.
 */
function read(name: string): unknown {
  const key = SETTING_KEYS.find((k) => k.name === name);
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect(name);
  if (!inspected) return undefined;
  if (key?.scope === 'window')
    return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue;
  return inspected.globalValue;
}

/** Names of the `offload.*` settings the user has set (for copied MCP client configs). */
export function changedSettings(): Set<string> {
  return new Set(SETTING_KEYS.filter((k) => read(k.name) !== undefined).map((k) => k.name));
}

/**
 * The app's config in VS Code: `offload.*` settings, API keys and the team ledger's password from
 * SecretStorage (environment as fallback), sandbox roots defaulting to the workspace folders (the extension's storage folder
 * when none is open, so no user file is reachable) and the ledger shared with the CLI.
 * Throws ConfigError naming the `offload.*` setting.
 */
export async function loadConfig(keys: ApiKeyStore, storageDir: string): Promise<Config> {
  const { defaultLedgerPath, parseConfig } = await loadAppModule(); // zod and the rest load after activation
  const [openai, fallback, admin, ledgerPassword] = await Promise.all([
    keys.get('offload.openaiApiKey'),
    keys.get('offload.fallbackApiKey'),
    keys.get('offload.openaiAdminKey'),
    keys.get(LEDGER_PASSWORD_SLOT),
  ]);
  const folders = (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => f.uri.fsPath);
  const input = configInputFromSettings(read, {
    workspaceFolders: folders.length ? folders : [storageDir],
    defaultLedgerPath: defaultLedgerPath(process.platform, homedir(), process.env),
    openaiApiKey: openai.value,
    fallbackApiKey: fallback.value,
    openaiAdminKey: admin.value,
    ledgerPassword: ledgerPassword.value,
  });
  return parseConfig(input, settingNameOf);
}

/** Fires with the changed `offload.*` setting names. */
export function onDidChangeSettings(listener: (names: string[]) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    const names = SETTING_KEYS.filter((k) => e.affectsConfiguration(`${SECTION}.${k.name}`)).map((k) => k.name);
    if (names.length) listener(names);
  });
}
