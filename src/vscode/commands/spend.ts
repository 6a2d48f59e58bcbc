import * as vscode from 'vscode';
import { budgetGlance } from '../../shared/glance';
import type { CommandDeps } from './deps';

/** `offload.showSpend`: this month's spend from the shared ledger, per model, in a modal message. Resolves with the stats. */
export async function showSpend(deps: CommandDeps): Promise<unknown> {
  const stats = await (await deps.host.getApp()).engine.spendStats();
  const glance = budgetGlance(stats);
  const models = Object.entries(stats.by_model).map(([model, m]) => `${model}: $${m.cost_usd.toFixed(4)} (${m.calls} calls)`);
  const detail = [
    `Spent in ${stats.month}: $${stats.current_month.toFixed(4)} of $${stats.total_budget.toFixed(2)} (${stats.percentage_used.toFixed(1)}%)`,
    `Today (UTC): $${stats.today.toFixed(4)}${stats.daily_budget !== null ? ` of $${stats.daily_budget.toFixed(2)}` : ''}`,
    `Reserved in flight: $${stats.reserved.toFixed(4)} (${stats.reservations_in_flight} calls)`,
    `Jobs: ${stats.jobs.total} (${stats.jobs.running} running)`,
    ...(models.length ? ['', ...models] : []),
  ].join('\n');
  void vscode.window.showInformationMessage(`Offload: ${glance.text}`, { modal: true, detail });
  return stats;
}
