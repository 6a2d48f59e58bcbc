import * as vscode from 'vscode';
import { API_KEY_SLOTS } from '../secrets';
import type { CommandDeps } from './deps';

async function pickSlot(slot: string | undefined, verb: string): Promise<string | undefined> {
  if (slot) return slot;
  if (API_KEY_SLOTS.length === 1) return API_KEY_SLOTS[0]!.id;
  const picked = await vscode.window.showQuickPick(
    API_KEY_SLOTS.map((s) => ({ label: s.label, id: s.id })),
    { title: `Offload: ${verb} API Key` },
  );
  return picked?.id;
}

/**
 * `offload.setApiKey [{slot, value}]`: stores a key in SecretStorage (asks for the slot and a
 * password-masked value when not given). The app restarts to use it on SecretStorage's change
 * event (extension.ts), which also covers changes made in other windows.
 */
export async function setApiKey(deps: CommandDeps, args?: { slot?: string; value?: string }): Promise<void> {
  const slot = await pickSlot(args?.slot, 'Set');
  if (!slot) return;
  const value =
    args?.value ??
    (await vscode.window.showInputBox({
      title: 'Offload: Set API Key',
      prompt: API_KEY_SLOTS.find((s) => s.id === slot)?.label,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim().length < 8 ? 'That is too short to be an API key' : undefined),
    }));
  if (!value) return;
  await deps.keys.store(slot, value.trim());
  deps.log.info(`API key ${slot} stored in SecretStorage`);
}

/** `offload.clearApiKey [{slot}]`: removes a key from SecretStorage (the environment fallback applies again). */
export async function clearApiKey(deps: CommandDeps, args?: { slot?: string }): Promise<void> {
  const slot = await pickSlot(args?.slot, 'Clear');
  if (!slot) return;
  await deps.keys.delete(slot);
  deps.log.info(`API key ${slot} removed from SecretStorage`);
}
