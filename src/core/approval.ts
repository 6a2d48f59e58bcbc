import { formatUsd, type Micros } from './money';

/**
 * Premium approval (issue 5): premium-worker jobs, and jobs whose worst-case forecast exceeds
 * APPROVAL_THRESHOLD_USD, need a human yes — through MCP elicitation when the client supports it,
 * in the extension a notification or the jobs panel (src/vscode/approvals.ts), and otherwise a rejection saying how to approve.
 */

/** A job's forecast, µUSD: `low` bills the input bound and no output; `high` is the reservation's worst case. */
export interface Forecast {
  lowMicros: Micros;
  highMicros: Micros;
}

/** Asks a human; resolves true only on an explicit yes. Hosts without a way to ask pass none. */
export type Approver = (question: string) => Promise<boolean>;

/** How to approve without a question, for rejections. */
export const APPROVAL_HINT =
  'Approve it in a client that supports MCP elicitation or in VS Code, or set PREMIUM_AUTO_APPROVE=1 (VS Code: offload.premiumAutoApprove) to allow such jobs without asking.';

/** Why a job needs approval, or null when it does not (auto-approve on, or cheap non-premium work). */
export function approvalReason(
  agent: string,
  f: Forecast,
  opts: { autoApprove: boolean; thresholdUsd?: number },
): string | null {
  if (opts.autoApprove) return null;
  if (agent === 'premium-worker') return 'premium-worker jobs need approval';
  if (opts.thresholdUsd !== undefined && f.highMicros > Math.round(opts.thresholdUsd * 1e6)) {
    return `its forecast of up to ${formatUsd(f.highMicros)} exceeds the approval threshold of $${opts.thresholdUsd} (APPROVAL_THRESHOLD_USD)`;
  }
  return null;
}

/** The question shown to the human, with the forecast as a cost range. */
export function approvalQuestion(agent: string, model: string, task: string, f: Forecast, reason: string): string {
  const short = task.length > 200 ? `${task.slice(0, 200)}…` : task;
  return `Offload: run a ${agent} job on ${model}? Estimated cost ${formatUsd(f.lowMicros)}–${formatUsd(f.highMicros)} (${reason}). Task: ${short}`;
}
