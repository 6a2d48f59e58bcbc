/**
 * The budget and breaker glance shown by the status bar (and later the panel). Pure: it formats
 * spend figures the ledger computed; thresholds follow DESIGN.md (warnings at 80% and 95%).
 */
import { usd } from './usd';

/** The spend figures a glance needs, USD (a subset of get_spend_stats). */
export interface SpendFigures {
  month: string;
  current_month: number;
  total_budget: number;
  remaining: number;
  percentage_used: number;
  today: number;
  daily_budget: number | null;
  reserved: number;
  reservations_in_flight: number;
}

/** Circuit breaker states (DESIGN.md, "Breaker"). */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** `ok` below 80% of the cap, `warning` from 80%, `error` from 95% or when nothing remains. */
export type GlanceLevel = 'ok' | 'warning' | 'error';

/** What the status bar shows for the budget. */
export interface BudgetGlance {
  text: string;
  level: GlanceLevel;
  /** Markdown. */
  tooltip: string;
}

/** The budget glance: `$19.77 left`, its level, and a Markdown tooltip (month spend, today, reserved, cap). */
export function budgetGlance(s: SpendFigures): BudgetGlance {
  const level: GlanceLevel =
    s.remaining <= 0 || s.percentage_used >= 95 ? 'error' : s.percentage_used >= 80 ? 'warning' : 'ok';
  const rows = [
    `| | USD |`,
    `| --- | ---: |`,
    `| spent in ${s.month} | ${usd(s.current_month)} |`,
    `| today (UTC) | ${usd(s.today)}${s.daily_budget !== null ? ` of ${usd(s.daily_budget)}` : ''} |`,
    `| reserved in flight | ${usd(s.reserved)} (${s.reservations_in_flight} call${s.reservations_in_flight === 1 ? '' : 's'}) |`,
    `| monthly cap | ${usd(s.total_budget)} |`,
  ];
  return {
    text: `${usd(s.remaining, { floor: true })} left`,
    level,
    tooltip: `**Offload budget** — ${s.percentage_used.toFixed(1)}% used\n\n${rows.join('\n')}`,
  };
}

/** The breaker figures a glance needs (a subset of breaker_status; times ISO). */
export interface BreakerFigures {
  state: BreakerState;
  reason: string | null;
  detail: string | null;
  until: string | null;
  reset: string;
}

/** What the status bar shows for the breaker: `Offload closed`, its level and a Markdown tooltip. */
export function breakerGlance(b: BreakerFigures): BudgetGlance {
  const level: GlanceLevel = b.state === 'open' ? 'error' : b.state === 'half-open' ? 'warning' : 'ok';
  const meaning =
    b.state === 'closed'
      ? 'paid work is admitted'
      : b.state === 'open'
        ? 'no new paid work is admitted anywhere'
        : 'one trial call is admitted';
  const lines = [`**Offload circuit breaker: ${b.state}** — ${meaning}.`];
  if (b.reason) lines.push(`Reason: ${b.reason}${b.detail ? ` (${b.detail})` : ''}`);
  if (b.until) lines.push(`Until: ${b.until}`);
  if (b.state !== 'closed') lines.push(`Reset: ${b.reset}`);
  return { text: `Offload ${b.state}`, level, tooltip: lines.join('\n\n') };
}
