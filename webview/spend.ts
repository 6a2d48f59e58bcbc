import type { Spend } from '../src/shared/protocol';
import { usd } from '../src/shared/usd';
import { spendChart } from './chart';
import { el, table } from './dom';

/** Rows of a per-model or per-kind record, highest cost first: [name, count, cost]. */
function byCost<T extends { cost_usd: number }>(rec: Record<string, T>, count: (v: T) => number): string[][] {
  return Object.entries(rec)
    .sort((a, b) => b[1].cost_usd - a[1].cost_usd || a[0].localeCompare(b[0]))
    .map(([name, v]) => [name, String(count(v)), usd(v.cost_usd)]);
}

/** The month against the cap: a meter with each warning threshold marked and labelled. */
function capMeter(s: Spend): HTMLElement {
  const pct = Math.max(0, Math.min(100, s.percentage_used));
  const bar = el('div', undefined, {
    class: 'bar',
    role: 'meter',
    'aria-valuemin': '0',
    'aria-valuemax': '100',
    'aria-valuenow': pct.toFixed(0),
    'aria-label': `${pct.toFixed(0)}% of the monthly cap used; warnings at ${s.thresholds.map((t) => `${t}%`).join(' and ') || 'none'}`,
  });
  const fill = el('div', undefined, { class: `fill${s.thresholds.some((t) => pct >= t) ? ' over' : ''}` });
  fill.style.width = `${pct}%`;
  bar.append(fill);
  for (const t of s.thresholds) {
    const m = el('div', undefined, { class: 'mark', title: `warning at ${t}%`, 'data-threshold': String(t) });
    m.style.left = `${Math.min(100, t)}%`;
    const label = el('span', `${t}%`, { class: 'mark-label' });
    m.append(label);
    bar.append(m);
  }
  return bar;
}

/**
 * Renders Spend into `root`: the month against the cap (thresholds marked), today, reserved in
 * flight, savings summed, the per-day chart, and tables per model and per job kind. All money
 * through glance's `usd`, the status bar's formatter.
 */
export function renderSpend(root: HTMLElement, s: Spend): void {
  const facts = el('dl', undefined, { class: 'facts' });
  const fact = (k: string, v: string, field: string): void => {
    facts.append(el('dt', k), el('dd', v, { 'data-field': field }));
  };
  fact(
    `Spent in ${s.month}`,
    `${usd(s.current_month)} of ${usd(s.total_budget)} (${s.percentage_used.toFixed(1)}%)`,
    'month',
  );
  fact('Left', usd(s.remaining), 'remaining');
  fact('Today (UTC)', `${usd(s.today)}${s.daily_budget !== null ? ` of ${usd(s.daily_budget)}` : ''}`, 'today');
  fact(
    'Reserved in flight',
    `${usd(s.reserved)} (${s.reservations_in_flight} call${s.reservations_in_flight === 1 ? '' : 's'})`,
    'reserved',
  );
  fact(
    'Saved by delegating',
    `${usd(s.savings.saved_usd)} over ${s.savings.jobs} job${s.savings.jobs === 1 ? '' : 's'}, ${s.savings.caller_tokens_avoided.toLocaleString('en-US')} caller tokens avoided`,
    'savings',
  );
  root.replaceChildren(
    el('h2', 'Spend'),
    capMeter(s),
    facts,
    el('h3', 'Per day'),
    spendChart(s),
    table(
      'Spend per model',
      ['Model', 'Calls', 'Cost'],
      byCost(s.by_model, (v) => v.calls),
      { id: 'by-model' },
    ),
    table(
      'Spend per job kind',
      ['Kind', 'Jobs', 'Cost'],
      byCost(s.by_kind, (v) => v.jobs),
      { id: 'by-kind' },
    ),
  );
}
