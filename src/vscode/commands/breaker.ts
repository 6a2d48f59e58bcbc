import * as vscode from 'vscode';
import type { CommandDeps } from './deps';

/**
 * `offload.tripBreaker [{detail}]`: opens the circuit breaker by hand — no new paid work is
 * admitted by any window or CLI worker sharing the ledger until a manual reset. Asks first unless
 * `detail` is given. Resolves with the new state, or undefined when dismissed.
 */
export async function tripBreaker(deps: CommandDeps, args?: { detail?: string }): Promise<string | undefined> {
  if (!args?.detail) {
    const ok = await vscode.window.showWarningMessage(
      'Trip the Offload circuit breaker? No new paid work will be admitted anywhere until you reset it.',
      { modal: true },
      'Trip',
    );
    if (ok !== 'Trip') return undefined;
  }
  const record = await (await deps.host.getApp()).breaker.trip(args?.detail ?? 'tripped from VS Code');
  deps.log.warn(`circuit breaker tripped by hand: ${record.state}`);
  deps.host.breakerChanged();
  return record.state;
}

/** `offload.resetBreaker`: closes the breaker (a cap that is still reached opens it again at once). Resolves with the new state. */
export async function resetBreaker(deps: CommandDeps): Promise<string> {
  const record = await (await deps.host.getApp()).breaker.reset();
  deps.log.info(`circuit breaker reset: ${record.state}${record.reason ? ` (${record.reason})` : ''}`);
  deps.host.breakerChanged();
  if (record.state !== 'closed')
    void vscode.window.showWarningMessage(
      `Offload: the breaker is still ${record.state}: ${record.detail ?? record.reason}`,
    );
  return record.state;
}
