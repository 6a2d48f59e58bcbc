import type { Spend } from '../src/shared/protocol';
import { usd } from '../src/shared/usd';

const NS = 'http://www.w3.org/2000/svg';
/** Chart geometry in viewBox units (the SVG scales to the panel's width, text with it). */
const W = 600,
  H = 160,
  LEFT = 52,
  RIGHT = 8,
  TOP = 10,
  BOTTOM = 22;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Days in `month` (`YYYY-MM`, UTC), or null when it is not that shape. */
export function daysInMonth(month: string): number | null {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return null;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate();
}

/**
 * The month's spend per UTC day as plain SVG: one `<rect class="day-bar">` per day with spend
 * (each with a `<title>` "YYYY-MM-DD: $x.xx"), day-of-month labels on the x axis (1, every 5th,
 * the last), the top and half of the y axis in USD. `role="img"` with a title and a summary
 * description for screen readers. Colours come from CSS classes (theme variables).
 */
export function spendChart(s: Pick<Spend, 'month' | 'by_day'>): SVGSVGElement {
  const days = s.by_day.filter((d) => d.cost_usd > 0);
  const n = daysInMonth(s.month) ?? Math.max(28, ...s.by_day.map((d) => Number(d.day.slice(8, 10)) || 0));
  const top = Math.max(0.01, ...days.map((d) => d.cost_usd));
  const plotW = W - LEFT - RIGHT,
    plotH = H - TOP - BOTTOM,
    slot = plotW / n;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-labelledby': 'chart-title chart-desc',
    class: 'chart',
    id: 'spend-chart',
  });
  const total = days.reduce((a, d) => a + d.cost_usd, 0);
  root.append(
    svg('title', { id: 'chart-title' }, `Spend per day, ${s.month} (UTC)`),
    svg(
      'desc',
      { id: 'chart-desc' },
      days.length
        ? `${days.length} day${days.length === 1 ? '' : 's'} with spend, ${usd(total)} in all; highest ${usd(top)}.`
        : 'No spend this month yet.',
    ),
  );
  const axis = svg('g', { class: 'axis', 'aria-hidden': 'true' });
  for (const f of [0, 0.5, 1]) {
    const y = TOP + plotH * (1 - f);
    axis.append(
      svg('line', { x1: LEFT, x2: W - RIGHT, y1: y, y2: y, class: f === 0 ? 'baseline' : 'grid' }),
      svg('text', { x: LEFT - 4, y: y + 4, 'text-anchor': 'end' }, usd(top * f)),
    );
  }
  for (let d = 1; d <= n; d++) {
    if (d !== 1 && d !== n && d % 5 !== 0) continue;
    axis.append(svg('text', { x: LEFT + slot * (d - 0.5), y: H - 6, 'text-anchor': 'middle' }, String(d)));
  }
  const bars = svg('g', { class: 'bars' });
  for (const d of days) {
    const dom = Number(d.day.slice(8, 10));
    if (!(dom >= 1 && dom <= n)) continue;
    const h = Math.max(1, (d.cost_usd / top) * plotH);
    const rect = svg('rect', {
      class: 'day-bar',
      x: LEFT + slot * (dom - 1) + slot * 0.15,
      y: TOP + plotH - h,
      width: slot * 0.7,
      height: h,
      'data-day': d.day,
    });
    rect.append(svg('title', {}, `${d.day}: ${usd(d.cost_usd)}`));
    bars.append(rect);
  }
  root.append(axis, bars);
  return root;
}
