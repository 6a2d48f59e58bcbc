import { html } from 'diff2html';
import { ColorSchemeType } from 'diff2html/lib/types';
import type { JobDetail } from '../src/shared/protocol';
import { usd } from '../src/shared/usd';
import { post } from './vscode-api';
import { button, el } from './dom';

/** diff2html's colours for the VS Code theme kind the webview's body class names (vscode-light, vscode-dark, vscode-high-contrast[-light]). */
function diffScheme(): ColorSchemeType {
  const c = document.body.classList;
  if (c.contains('vscode-light') || c.contains('vscode-high-contrast-light')) return ColorSchemeType.LIGHT;
  if (c.contains('vscode-dark') || c.contains('vscode-high-contrast')) return ColorSchemeType.DARK;
  return ColorSchemeType.AUTO;
}

/** Renders one job's detail into `root`. */
export function renderDetail(root: HTMLElement, d: JobDetail): void {
  const id = d.row.id;
  const head = el('h2', d.row.title);
  const shown = d.row.undo ? `${d.row.status} · ${d.row.undo}` : d.row.status;
  const status = el('vscode-badge', shown, {
    'data-field': 'status',
    variant: 'default',
    'aria-label': `status ${shown}`,
  });
  const actions = el('div', undefined, { class: 'actions' });
  actions.append(
    button('Apply', 'apply', `Apply job ${id}`, () => post({ type: 'apply', job_id: id }), d.can.apply),
    button('Discard', 'discard', `Discard job ${id}`, () => post({ type: 'discard', job_id: id }), d.can.discard, {
      secondary: true,
    }),
    button('Cancel', 'cancel', `Cancel job ${id}`, () => post({ type: 'cancel', job_id: id }), d.can.cancel, {
      secondary: true,
    }),
    button('Retry', 'retry', `Retry job ${id}`, () => post({ type: 'retry', job_id: id }), d.can.retry, {
      secondary: true,
    }),
  );
  const prompt = el('pre', d.prompt);
  const cost = el(
    'p',
    `Cost ${usd(d.row.cost_usd)}${d.forecast ? ` (forecast ${usd(d.forecast.low_usd)}–${usd(d.forecast.high_usd)})` : ''}`,
  );
  const files = el('ul');
  for (const f of d.changed_files) {
    const li = el('li', f + ' ');
    const b = button(
      'Open in diff editor',
      'openDiff',
      `Open ${f} in diff editor`,
      () => post({ type: 'openDiff', job_id: id, file: f }),
      true,
      { secondary: true, icon: 'diff' },
    );
    b.dataset.file = f;
    li.append(b);
    files.append(li);
  }
  const checks = el('div');
  for (const c of d.checks) {
    const det = el('details');
    det.append(el('summary', `${c.passed ? '✓' : '✗'} ${c.line}`), el('pre', c.output_tail));
    checks.append(det);
  }
  const receipt = el(
    'p',
    d.receipt && typeof d.receipt.saved_usd === 'number' ? `Saved ${usd(d.receipt.saved_usd)}` : '',
  );
  const log = el('pre', d.log.join('\n'), { id: 'log' });
  const diff = el('div');
  if (d.diff)
    diff.innerHTML = html(d.diff, { outputFormat: 'line-by-line', drawFileList: false, colorScheme: diffScheme() });
  root.replaceChildren(
    head,
    status,
    actions,
    el('h3', 'Prompt'),
    prompt,
    cost,
    el('h3', 'Changed files'),
    files,
    el('h3', 'Checks'),
    checks,
    receipt,
    el('h3', 'Log'),
    log,
    diff,
  );
  if (d.error) root.append(el('p', d.error));
}
