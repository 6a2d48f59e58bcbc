import * as vscode from 'vscode';
import {
  breakerGlance,
  budgetGlance,
  type BreakerFigures,
  type BreakerState,
  type GlanceLevel,
} from '../shared/glance';
import type { App } from '../app';
import type { AppHost } from './app-host';

/** Opens the jobs panel's queue (the status-bar items open the panel too: budget → Spend, breaker → breaker). */
export const SHOW_JOBS_COMMAND = 'offload.showJobs';

const BACKGROUND: Record<GlanceLevel, vscode.ThemeColor | undefined> = {
  ok: undefined,
  warning: new vscode.ThemeColor('statusBarItem.warningBackground'),
  error: new vscode.ThemeColor('statusBarItem.errorBackground'),
};

/** What a refresh read from the ledger (get_spend_stats' shape). */
type SpendRead = Awaited<ReturnType<App['engine']['spendStats']>>;

const BREAKER_ICON: Record<BreakerState, string> = {
  closed: '$(pass)',
  'half-open': '$(warning)',
  open: '$(circle-slash)',
};

/**
 * Two status-bar items with ids and names, so users can hide either: the circuit breaker state
 * and the budget left. Refreshed on every job state change (debounced), after a restart, and
 * every minute for spend by other windows and CLI workers sharing the ledger.
 */
export class OffloadStatusBar implements vscode.Disposable {
  readonly breaker = vscode.window.createStatusBarItem('offload.breaker', vscode.StatusBarAlignment.Right, 101);
  readonly budget = vscode.window.createStatusBarItem('offload.budget', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly poll: ReturnType<typeof setInterval>;
  private readonly spendEmitter = new vscode.EventEmitter<SpendRead>();
  /** Fires with the spend stats of every refresh (budget warnings listen), at least once a minute. */
  readonly onDidReadSpend = this.spendEmitter.event;

  constructor(private readonly host: AppHost) {
    this.breaker.name = 'Offload Circuit Breaker';
    this.budget.name = 'Offload Budget';
    this.breaker.command = { command: 'offload.openPanel', title: 'Open Breaker', arguments: [{ view: 'breaker' }] };
    this.budget.command = { command: 'offload.openPanel', title: 'Open Spend', arguments: [{ view: 'spend' }] };
    for (const item of [this.breaker, this.budget]) item.show();
    this.breaker.text = '$(sync~spin) Offload';
    this.budget.text = '$(credit-card) …';
    this.budget.tooltip = 'Offload: opening the ledger…';
    this.disposables.push(
      host.onDidChangeJob(() => this.schedule()),
      host.onDidRestart(() => this.schedule()),
      host.onDidChangeBreaker(() => this.schedule(0)),
    );
    this.poll = setInterval(() => this.schedule(), 60_000);
  }

  /** Refreshes soon, coalescing bursts of job events into one ledger read. */
  schedule(delayMs = 100): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  /** Reads spend from the ledger and redraws both items. Never throws: a failure shows on the items. */
  async refresh(): Promise<void> {
    try {
      const app = await this.host.getApp();
      const stats = await app.engine.spendStats();
      this.spendEmitter.fire(stats);
      const glance = budgetGlance(stats);
      this.budget.text = `$(credit-card) ${glance.text}`;
      this.budget.tooltip = new vscode.MarkdownString(glance.tooltip);
      this.budget.backgroundColor = BACKGROUND[glance.level];
      // The app's breaker: its state is shared through the ledger.
      const view: BreakerFigures = await app.breaker.status();
      const b = breakerGlance(view);
      this.breaker.text = `${BREAKER_ICON[view.state]} ${b.text}`;
      this.breaker.tooltip = new vscode.MarkdownString(`${b.tooltip}\n\nClick for the breaker.`);
      this.breaker.backgroundColor = BACKGROUND[b.level];
    } catch (err) {
      this.breaker.text = '$(error) Offload';
      this.breaker.tooltip = `Offload could not start: ${err instanceof Error ? err.message : String(err)}. See the Offload log.`;
      this.breaker.backgroundColor = BACKGROUND.error;
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearInterval(this.poll);
    for (const d of this.disposables) d.dispose();
    this.spendEmitter.dispose();
    this.breaker.dispose();
    this.budget.dispose();
  }
}
