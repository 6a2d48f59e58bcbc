import type { JobRow } from '../src/shared/protocol';
import { usd } from '../src/shared/usd';

/** Fixed row height, px: the virtual table relies on it. */
export const ROW_H = 24;
const OVERSCAN = 10;
const ICON: Record<JobRow['status'], string> = {
  queued: 'clock',
  running: 'sync',
  completed: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
  budget_exceeded: 'warning',
  rejected: 'close',
};

/** The queue: rows by id, newest first, rendered virtually (only visible rows + overscan in the DOM). */
export class Queue {
  private rows = new Map<string, JobRow>();
  private shown: JobRow[] = [];
  filter = { status: '', kind: '', q: '' };
  constructor(
    private readonly scroller: HTMLElement,
    private readonly spacer: HTMLElement,
    private readonly open: (id: string) => void,
  ) {
    scroller.addEventListener('scroll', () => this.render());
  }
  /** Replaces every row (snapshot). */
  reset(jobs: JobRow[]): void {
    this.rows = new Map(jobs.map((j) => [j.id, j]));
    this.refilter();
  }
  /** Adds or changes rows by id. */
  upsert(jobs: JobRow[]): void {
    for (const j of jobs) this.rows.set(j.id, j);
    this.refilter();
  }
  refilter(): void {
    const q = this.filter.q.toLowerCase();
    this.shown = [...this.rows.values()]
      .filter(
        (j) =>
          (!this.filter.status || j.status === this.filter.status) &&
          (!this.filter.kind || j.kind === this.filter.kind) &&
          (!q || j.title.toLowerCase().includes(q)),
      )
      .sort((a, b) => b.created_at - a.created_at);
    this.spacer.style.height = `${this.shown.length * ROW_H}px`;
    this.render();
  }
  render(): void {
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(
      this.shown.length,
      Math.ceil((this.scroller.scrollTop + this.scroller.clientHeight) / ROW_H) + OVERSCAN,
    );
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const j = this.shown[i];
      if (!j) continue;
      const r = document.createElement('div');
      r.className = 'row';
      r.setAttribute('role', 'row');
      r.tabIndex = 0;
      r.dataset.jobId = j.id;
      r.style.top = `${i * ROW_H}px`;
      r.setAttribute('aria-label', `Open job ${j.title}`);
      const cells = [
        j.kind,
        j.agent ?? j.model,
        usd(j.cost_usd),
        `${Math.round(j.duration_ms / 1000)}s`,
        new Date(j.created_at).toISOString().slice(0, 16).replace('T', ' '),
        j.title,
      ];
      const icon = document.createElement('span');
      icon.className = `codicon codicon-${ICON[j.status]}`;
      icon.title = j.status;
      r.append(
        icon,
        ...cells.map((c) => {
          const s = document.createElement('span');
          s.setAttribute('role', 'cell');
          s.textContent = c;
          return s;
        }),
      );
      r.addEventListener('click', () => this.open(j.id));
      r.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') this.open(j.id);
        else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const sib = (e.key === 'ArrowDown' ? r.nextElementSibling : r.previousElementSibling) as HTMLElement | null;
          sib?.focus();
        }
      });
      frag.append(r);
    }
    this.spacer.replaceChildren(frag);
  }
}
