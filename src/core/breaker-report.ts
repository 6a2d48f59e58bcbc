import type { BreakerRecord } from './breaker';
import type { CostRule } from './provider-costs';
import { usd } from '../shared/usd';

/** The outcome of one poll of the provider's cost data. USD floats for display; `at` ISO time. */
export type CostPoll =
  | {
      ok: true;
      at: string;
      provider_usd: number;
      ledger_usd: number;
      rule: CostRule;
      tripped: boolean;
      detail: string | null;
    }
  | { ok: false; at: string; error: string };

/** The breaker as every surface shows it (breaker_status, `status`, the STATUS port, VS Code). */
export interface BreakerView {
  state: BreakerRecord['state'];
  /** True when open or half-open: the `STATUS` answer TRUE. */
  tripped: boolean;
  reason: BreakerRecord['reason'];
  detail: string | null;
  /** ISO time of the last state change, or null. */
  since: string | null;
  /** ISO time when it clears or goes half-open by itself, or null. */
  until: string | null;
  /** What would reset it. */
  reset: string;
  /** The last poll of the provider's costs in this process, or null (no admin key, or not polled yet). */
  last_cost_poll: CostPoll | null;
}

/**
 * The `status` command's output: `TRUE` (tripped) or `FALSE` (closed) on the first line — the
 * original cost breaker's answer — then one `key: value` line per detail.
 */
export function breakerReport(v: BreakerView): string[] {
  const lines = [v.tripped ? 'TRUE' : 'FALSE', `state: ${v.state}`];
  if (v.reason) lines.push(`reason: ${v.reason}`, `detail: ${v.detail ?? ''}`);
  if (v.since) lines.push(`since: ${v.since}`);
  if (v.until) lines.push(`until: ${v.until}`);
  lines.push(`reset: ${v.reset}`);
  const p = v.last_cost_poll;
  if (p?.ok)
    lines.push(
      `provider costs (today+yesterday UTC): ${usd(p.provider_usd)} vs ledger ${usd(p.ledger_usd)}, rule ${p.rule}${p.tripped ? ' → trips' : ''}`,
    );
  else if (p) lines.push(`provider costs: not checked: ${p.error}`);
  return lines;
}
