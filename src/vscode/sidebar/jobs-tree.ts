import * as vscode from 'vscode';
import type { JobRecord } from '../../core/jobs';
import { usd } from '../../shared/usd';
import type { AppHost } from '../app-host';
import { toRow } from '../panel/model';

const ICON: Record<string, string> = {
  queued: 'clock',
  running: 'sync~spin',
  completed: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
  budget_exceeded: 'credit-card',
  rejected: 'close',
};
const GROUPS = [
  ['running', 'Running'],
  ['queued', 'Queued'],
  ['recent', 'Recent'],
] as const;
type Group = (typeof GROUPS)[number][0];
type Node = { group: Group; label: string } | { job: JobRecord };

/** Seconds/minutes of a duration, ms. */
const duration = (ms: number) =>
  ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;

/**
 * The `offload.jobs` tree: Running, Queued and Recent jobs of the shared ledger. A job row shows
 * its status icon, kind and agent or model, cost (usd()) and duration; contextValue
 * `job.<status>[.undoable]` drives the inline cancel/apply/discard actions; a click opens it in the panel.
 */
export class JobsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subs: vscode.Disposable[];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: AppHost) {
    this.subs = [host.onDidChangeJob(() => this.refresh()), host.onDidRestart(() => this.refresh())];
  }

  /** Redraws soon, coalescing bursts. */
  refresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.changed.fire(), 100);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const app = await this.host.getApp();
    const jobs = await app.ledger.listJobs(200);
    void vscode.commands.executeCommand('setContext', 'offload.noJobs', jobs.length === 0);
    void vscode.commands.executeCommand('setContext', 'offload.noKey', !app.config.openaiApiKey);
    if (!jobs.length) return [];
    const of = (g: Group) =>
      jobs.filter((j) => (g === 'recent' ? j.status !== 'running' && j.status !== 'queued' : j.status === g));
    if (!node)
      return GROUPS.filter(([g]) => g === 'recent' || of(g).length).map(([group, label]) => ({ group, label }));
    return 'group' in node
      ? of(node.group)
          .slice(0, node.group === 'recent' ? 50 : undefined)
          .map((job) => ({ job }))
      : [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if ('group' in node) return new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
    const row = toRow(node.job, Date.now());
    const item = new vscode.TreeItem(`${row.kind} · ${row.agent ?? row.model}`);
    item.id = row.id;
    item.iconPath = new vscode.ThemeIcon(ICON[row.status] ?? 'circle-outline');
    item.description = `${usd(row.cost_usd)} · ${duration(row.duration_ms)}`;
    item.tooltip = new vscode.MarkdownString().appendText(`${row.status}: ${row.title || row.id}`);
    const undoable = row.undo === null && Boolean((node.job.result as { workspace?: unknown } | null)?.workspace);
    item.contextValue = `job.${row.status}${undoable ? '.undoable' : ''}`;
    item.command = { command: 'offload.openJob', title: 'Open Job', arguments: [row.id] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}
