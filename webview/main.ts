import './zod-jitless';
import { parseToWebview, type Spend, type Approval, type ToWebview } from '../src/shared/protocol';
import { renderSpend } from './spend';
import { api, post, type SavedState } from './vscode-api';
import { Queue } from './queue';
import { renderDetail } from './detail';
import { button } from './dom';
import './elements';

/** The jobs panel page: parses every host message (malformed → console.warn, dropped). */
const root = document.getElementById('root') ?? document.body;
const opts = (any: string, values: string[]): string =>
  `<vscode-option value="">${any}</vscode-option>${values.map((v) => `<vscode-option value="${v}">${v}</vscode-option>`).join('')}`;
root.innerHTML = `<vscode-tabs id="tabs" selected-index="0">
<vscode-tab-header slot="header" data-nav="queue" aria-label="Show the queue">Queue <vscode-badge id="approvals-count" variant="counter" slot="content-after" hidden aria-label="jobs awaiting approval"></vscode-badge></vscode-tab-header>
<vscode-tab-header slot="header" data-nav="spend" aria-label="Show spend">Spend</vscode-tab-header>
<vscode-tab-panel><section id="queue"><div class="filters">
<vscode-single-select id="f-status" label="Filter by status">${opts('any status', ['queued', 'running', 'completed', 'failed', 'cancelled', 'budget_exceeded', 'rejected'])}</vscode-single-select>
<vscode-single-select id="f-kind" label="Filter by kind">${opts('any kind', ['llm', 'claude-code', 'batch', 'analyze'])}</vscode-single-select>
<vscode-textfield id="f-q" type="search" placeholder="Search prompts" label="Search prompts"></vscode-textfield></div><div id="approvals"></div>
<div id="scroller" role="table" aria-label="Jobs"><div id="spacer" role="rowgroup"></div></div></section>
<section id="detail"></section></vscode-tab-panel>
<vscode-tab-panel><section id="spend"><div id="spend-body"></div><div id="breaker"></div></section></vscode-tab-panel>
</vscode-tabs><div id="action-result" role="status"></div>`;
const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
let state: SavedState = (api.getState() as SavedState | undefined) ?? { view: 'queue' };

function openJob(id: string): void {
  state = { ...state, view: 'queue', job_id: id };
  api.setState(state);
  document.body.dataset.openJob = id;
  post({ type: 'openJob', job_id: id });
}
const queue = new Queue($('scroller'), $('spacer'), openJob);
for (const [id, key] of [
  ['f-status', 'status'],
  ['f-kind', 'kind'],
  ['f-q', 'q'],
] as const) {
  const onChange = (): void => {
    const v = ($(id) as HTMLElement & { value: string }).value;
    if (queue.filter[key] !== v) {
      queue.filter[key] = v;
      queue.refilter();
    }
  };
  $(id).addEventListener('input', onChange);
  $(id).addEventListener('change', onChange);
}
function setView(v: SavedState['view']): void {
  state = { ...state, view: v };
  api.setState(state);
  document.body.dataset.view = v;
  $('spend').hidden = v === 'queue';
  $('queue').hidden = v !== 'queue';
  $('detail').hidden = v !== 'queue';
  $('tabs').setAttribute('selected-index', v === 'queue' ? '0' : '1');
  if (v === 'breaker') $('breaker').scrollIntoView();
}
$('tabs').addEventListener('vsc-tabs-select', (e) =>
  setView((e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex === 0 ? 'queue' : 'spend'),
);

function renderApprovals(list: Approval[]): void {
  const count = $('approvals-count');
  count.textContent = String(list.length);
  count.hidden = list.length === 0;
  $('approvals').replaceChildren(
    ...list.map((a) => {
      const d = document.createElement('div');
      d.textContent = a.question + ' ';
      const yes = button('Approve', 'approve', `Approve ${a.question}`, () =>
        post({ type: 'approve', approval_id: a.id, approved: true }),
      );
      const no = button('Decline', 'decline', `Decline ${a.question}`, () =>
        post({ type: 'approve', approval_id: a.id, approved: false }),
      );
      yes.dataset.approvalId = a.id;
      no.dataset.approvalId = a.id;
      d.append(yes, no);
      return d;
    }),
  );
}
function renderAll(s: Spend): void {
  renderSpend($('spend-body'), s);
  const b = document.createElement('p');
  b.textContent = `Breaker ${s.breaker.state}${s.breaker.reason ? `: ${s.breaker.reason}` : ''}${s.breaker.detail ? ` (${s.breaker.detail})` : ''}${s.breaker.since ? ` since ${s.breaker.since}` : ''}`;
  $('breaker').replaceChildren(
    b,
    button('Reset', 'resetBreaker', 'Reset the circuit breaker', () => post({ type: 'resetBreaker' })),
  );
}
function handle(m: ToWebview): void {
  switch (m.type) {
    case 'snapshot':
      queue.reset(m.jobs);
      renderApprovals(m.approvals);
      if (m.spend) renderAll(m.spend);
      document.body.dataset.ready = '1';
      if (state.job_id) openJob(state.job_id);
      break;
    case 'jobs':
      queue.upsert(m.upsert);
      break;
    case 'detail':
      renderDetail($('detail'), m.job);
      document.body.dataset.openJob = m.job.row.id;
      break;
    case 'log':
      if (m.job_id === document.body.dataset.openJob) document.getElementById('log')?.append(`\n${m.lines.join('\n')}`);
      break;
    case 'spend':
      renderAll(m.spend);
      break;
    case 'approvals':
      renderApprovals(m.approvals);
      break;
    case 'show':
      setView(m.view);
      if (m.job_id) openJob(m.job_id);
      break;
    case 'actionResult': {
      const r = $('action-result');
      r.textContent = `${m.action}: ${m.message}${m.conflicting_files?.length ? ` — conflicting: ${m.conflicting_files.join(', ')}` : ''}`;
      const id = m.job_id;
      if (m.action === 'discard' && !m.ok && id)
        r.append(
          button('Discard anyway', 'discard-force', `Discard job ${id} anyway`, () =>
            post({ type: 'discard', job_id: id, force: true }),
          ),
        );
      break;
    }
  }
}
/** Marks the latest message's steps on the performance timeline (bench/panel.ts reads them); one of each is kept. */
function mark(name: 'received' | 'parsed' | 'handled'): void {
  performance.clearMarks(`offload:${name}`);
  performance.mark(`offload:${name}`);
}
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  mark('received');
  const msg = parseToWebview(event.data, (why) => console.warn(why));
  mark('parsed');
  if (msg) handle(msg);
  mark('handled');
});
setView(state.view);
post({ type: 'ready' });
