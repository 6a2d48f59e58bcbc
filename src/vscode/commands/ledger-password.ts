import * as vscode from 'vscode';
import { LEDGER_PASSWORD_SLOT } from '../secrets';
import type { CommandDeps } from './deps';

/**
 * `offload.setLedgerPassword [{value}]`: stores the team ledger's PostgreSQL password (for
 * `offload.ledgerUrl`) in SecretStorage, asking for it password-masked when not given. It reaches
 * the app as the API keys do (settings.ts loadConfig → `ledgerPassword`), is redacted everywhere,
 * and SecretStorage's change event restarts the app with it (extension.ts), in every window. An
 * empty answer leaves the stored password as it was.
 */
export async function setLedgerPassword(deps: CommandDeps, args?: { value?: string }): Promise<void> {
  const value =
    args?.value ??
    (await vscode.window.showInputBox({
      title: 'Offload: Set Team Ledger Password',
      prompt: 'The PostgreSQL password of the team ledger (offload.ledgerUrl); kept in SecretStorage',
      password: true,
      ignoreFocusOut: true,
    }));
  if (!value) return;
  await deps.keys.store(LEDGER_PASSWORD_SLOT, value);
  deps.log.info('team ledger password stored in SecretStorage');
}
