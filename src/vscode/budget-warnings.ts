import * as vscode from 'vscode';
import { thresholdMessage, thresholdsToAnnounce, type ThresholdNotice } from '../core/thresholds';
import type { RedactingLog } from './log';

/** The spend figures a budget warning needs (a subset of get_spend_stats; USD and percents). */
export interface ThresholdFigures {
  month: string;
  current_month: number;
  total_budget: number;
  thresholds: number[];
  thresholds_crossed: number[];
}

/** A notice this window showed, with its text. */
export type ShownNotice = ThresholdNotice & { month: string; message: string };

const PREFIX = 'offload.budgetWarning.';

/** The globalState key that remembers `threshold` (percent) was announced in `month` (`YYYY-MM`). */
const keyOf = (month: string, threshold: number) => `${PREFIX}${month}.${threshold}`;

/**
 * Budget warnings (DESIGN.md: warnings at 80% and 95%, separate from the cap): a notification
 * once per threshold per month, from SpendStats.thresholds_crossed — a warning for the lower
 * thresholds, an error for the highest (core/thresholds.ts decides). What was announced is kept
 * in `globalState` under `offload.budgetWarning.<month>.<threshold>`; every window of the profile
 * shares it, so neither a reload nor another window repeats a warning. Two windows that read the
 * crossing at the same moment may each show it once: globalState reaches other windows after a
 * short delay and is not a lock. Checks run one at a time within a window.
 */
export class BudgetWarnings {
  /** Notices this window showed, oldest first (the test API reads them). */
  readonly shown: ShownNotice[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: RedactingLog,
  ) {}

  /** Announces what `stats` newly crossed. Never throws (a failure is logged). */
  check(stats: ThresholdFigures): Promise<void> {
    this.queue = this.queue
      .then(() => this.checkNow(stats))
      .catch((err: unknown) => {
        this.log.error(`budget warning: ${err instanceof Error ? err.message : String(err)}`);
      });
    return this.queue;
  }

  /** Resolves when the checks started so far have finished. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Forgets every announced warning, so the next crossing is announced again (tests). */
  async forget(): Promise<void> {
    for (const key of this.state.keys()) if (key.startsWith(PREFIX)) await this.state.update(key, undefined);
  }

  private async checkNow(stats: ThresholdFigures): Promise<void> {
    const announced = stats.thresholds_crossed.filter((t) => this.state.get(keyOf(stats.month, t)) !== undefined);
    const { notice, remember } = thresholdsToAnnounce(stats.thresholds, stats.thresholds_crossed, announced);
    if (!remember.length) return;
    // Earlier months' entries are no longer needed.
    for (const key of this.state.keys())
      if (key.startsWith(PREFIX) && !key.startsWith(`${PREFIX}${stats.month}.`))
        await this.state.update(key, undefined);
    for (const t of remember) await this.state.update(keyOf(stats.month, t), new Date().toISOString());
    if (!notice) return;
    const message = thresholdMessage(notice, stats.month, stats.current_month, stats.total_budget);
    this.shown.push({ ...notice, month: stats.month, message });
    this.log.warn(message);
    const show = notice.level === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    void show(message, 'Show Spend').then((pick) => {
      if (pick) void vscode.commands.executeCommand('offload.showSpend');
    });
  }
}
