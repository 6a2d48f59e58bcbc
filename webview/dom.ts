/** Small DOM helpers shared by the panel's views. */

/** A new element with optional text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** A plain `table.money`: a caption, header cells, rows of cells (first cell a row header; the last column right-aligned, for money). */
export function table(
  caption: string,
  head: string[],
  rows: string[][],
  attrs: Record<string, string> = {},
): HTMLTableElement {
  const t = el('table', undefined, { class: 'money', ...attrs });
  t.append(el('caption', caption));
  const tr = el('tr');
  tr.append(...head.map((h) => el('th', h, { scope: 'col' })));
  t.createTHead().append(tr);
  const body = t.createTBody();
  for (const r of rows) {
    const row = el('tr');
    row.append(...r.map((c, i) => (i === 0 ? el('th', c, { scope: 'row' }) : el('td', c))));
    body.append(row);
  }
  return t;
}

/**
 * A `<vscode-button>` that runs `onClick` when clicked or pressed (Enter/Space), unless disabled:
 * `data-action` names the action (tests and code-server tests click it), `aria-label` says what it
 * does to which job. A disabled one is `aria-disabled` and does nothing.
 */
export function button(
  label: string,
  action: string,
  aria: string,
  onClick: () => void,
  enabled = true,
  opts: { secondary?: boolean; icon?: string } = {},
): HTMLElement {
  const b = el('vscode-button', label, { 'data-action': action, 'aria-label': aria });
  b.disabled = !enabled;
  if (!enabled) b.setAttribute('aria-disabled', 'true');
  if (opts.secondary) b.secondary = true;
  if (opts.icon) b.icon = opts.icon;
  b.addEventListener('click', () => {
    if (!b.disabled) onClick();
  });
  return b;
}
