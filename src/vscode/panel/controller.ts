import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { App } from '../../app';
import type { JobRecord } from '../../core/jobs';
import { parseFromWebview, type FromWebview, type ToWebview, type View } from '../../shared/protocol';
import type { AppHost } from '../app-host';
import type { RedactingLog } from '../log';
import { panelHtml } from '../../shared/panel-html';
import { toDetail, toRow, toSpend } from './model';
import { jobFileUri } from '../job-content';
import { JobChangeFeed } from './change-feed';

/** The webview panel's view type (package.json activationEvents `onWebviewPanel:offload.jobs`). */
export const PANEL_VIEW_TYPE = 'offload.jobs';
/** Rows in a snapshot, newest first. */
const SNAPSHOT_JOBS = 10_000;
/** Poll for other processes' jobs while visible, ms. */
const POLL_MS = 3_000;

/**
 * The one jobs panel. The host owns the state: on `ready` it sends a snapshot, then coalesced
 * `jobs` upserts on job changes (this window's events, and, while the panel is visible, a 3 s poll
 * of the shared ledger for the jobs other processes changed: Ledger.jobsChangedSince through
 * change-feed.ts, so only changed jobs are sent), `detail` and `log` of the open job, and `spend`.
 * Every incoming message is parsed; a malformed one is logged and dropped.
 */
export class JobsPanel implements vscode.Disposable {
  private static current: JobsPanel | undefined;
  private openJob: string | undefined;
  private pending = new Map<string, JobRecord>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  /** What the poll of the shared ledger still has to send (change-feed.ts). */
  private readonly feed = new JobChangeFeed(
    async (since, limit) => (await this.app()).ledger.jobsChangedSince(since, limit),
    Date.now,
  );
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: { host: AppHost; log: RedactingLog; extensionUri: vscode.Uri },
    private view: View = 'queue',
  ) {
    const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    const uri = (f: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, f)).toString();
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: uri('webview.js'),
      styleUri: uri('webview.css'),
      codiconsUri: uri('codicon.css'),
      title: 'Offload Jobs',
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => this.setPolling()),
      deps.host.onDidChangeJob((job) => this.queue(job)),
      deps.host.onDidChangeBreaker(() => void this.sendSpend()),
      deps.host.approvals.onDidChange((approvals) => void this.post({ type: 'approvals', approvals })),
    );
    this.setPolling();
  }

  /** Shows the panel (creating it once), at `view`, optionally opening `jobId`. */
  static createOrShow(
    deps: { host: AppHost; log: RedactingLog; extensionUri: vscode.Uri },
    view: View = 'queue',
    jobId?: string,
  ): JobsPanel {
    if (!JobsPanel.current) {
      const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Offload Jobs', vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(deps.extensionUri, 'dist')],
      });
      JobsPanel.current = new JobsPanel(panel, deps, view);
    } else JobsPanel.current.panel.reveal();
    const p = JobsPanel.current;
    p.view = view;
    if (jobId) p.openJob = jobId;
    void p.post({ type: 'show', view, ...(jobId ? { job_id: jobId } : {}) });
    if (jobId) void p.sendDetail(jobId);
    return p;
  }

  /** Registers the serializer that revives the panel after a window reload. */
  static registerSerializer(deps: { host: AppHost; log: RedactingLog; extensionUri: vscode.Uri }): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: (panel) => {
        JobsPanel.current?.dispose();
        JobsPanel.current = new JobsPanel(panel, deps);
        return Promise.resolve();
      },
    });
  }

  /** The live panel, if any (tests). */
  static get instance(): JobsPanel | undefined {
    return JobsPanel.current;
  }

  private post(message: ToWebview): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  private async app(): Promise<App> {
    return this.deps.host.getApp();
  }

  private setPolling(): void {
    clearInterval(this.poll);
    this.poll = this.panel.visible ? setInterval(() => void this.pollLedger(), POLL_MS) : undefined;
  }

  /** Queues the jobs other processes (CLI workers, other windows) changed since the last poll, and only those. */
  private async pollLedger(): Promise<void> {
    try {
      for (const j of await this.feed.poll()) this.queue(j);
    } catch (err) {
      this.deps.log.warn(`panel poll: ${String(err)}`);
    }
  }

  private queue(job: JobRecord): void {
    this.pending.set(job.id, job);
    this.flushTimer ??= setTimeout(() => void this.flush(), 50);
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const jobs = [...this.pending.values()];
    this.pending.clear();
    if (!jobs.length) return;
    const now = Date.now();
    this.feed.sentJobs(jobs);
    await this.post({ type: 'jobs', upsert: jobs.map((j) => toRow(j, now)) });
    if (this.openJob && jobs.some((j) => j.id === this.openJob)) await this.sendDetail(this.openJob);
    await this.sendSpend();
  }

  private async sendDetail(jobId: string): Promise<void> {
    const app = await this.app();
    const job = await app.ledger.getJob(jobId);
    if (!job) return;
    const { forecastOf } = await import('../load-app').then((m) => m.loadAppModule());
    const log = (await app.engine.tail(jobId, 200)).lines;
    await this.post({ type: 'detail', job: toDetail(job, Date.now(), log, forecastOf(job)) });
  }

  private async sendSpend(): Promise<void> {
    try {
      const app = await this.app();
      await this.post({ type: 'spend', spend: toSpend(await app.engine.spendStats(), await app.ledger.dailySpend()) });
    } catch (err) {
      this.deps.log.warn(`panel spend: ${String(err)}`);
    }
  }

  private async receive(raw: unknown): Promise<void> {
    const m = parseFromWebview(raw, (why) => this.deps.log.warn(`jobs panel: ${why}`));
    if (!m) return;
    try {
      await this.handle(m);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const files = (err as { files?: string[] }).files;
      if (m.type !== 'ready' && m.type !== 'openJob' && m.type !== 'openDiff') {
        await this.post({
          type: 'actionResult',
          action: m.type,
          job_id: 'job_id' in m ? m.job_id : undefined,
          ok: false,
          message,
          ...(files ? { conflicting_files: files } : {}),
        });
      } else this.deps.log.error(`jobs panel ${m.type}: ${message}`);
    }
  }

  private async handle(m: FromWebview): Promise<void> {
    const app = await this.app();
    const ok = (
      action: 'cancel' | 'apply' | 'discard' | 'retry' | 'approve' | 'resetBreaker',
      message: string,
      jobId?: string,
    ) => this.post({ type: 'actionResult', action, ok: true, message, ...(jobId ? { job_id: jobId } : {}) });
    switch (m.type) {
      case 'ready': {
        const now = Date.now();
        const jobs = await app.ledger.listJobs(SNAPSHOT_JOBS);
        this.feed.reset(jobs, now);
        await this.post({
          type: 'snapshot',
          jobs: jobs.map((j) => toRow(j, now)),
          spend: null,
          approvals: this.deps.host.approvals.list(),
        });
        await this.sendSpend();
        await this.post({ type: 'show', view: this.view, ...(this.openJob ? { job_id: this.openJob } : {}) });
        if (this.openJob) await this.sendDetail(this.openJob);
        return;
      }
      case 'openJob':
        this.openJob = m.job_id;
        return this.sendDetail(m.job_id);
      case 'cancel': {
        const r = await app.engine.cancelAnywhere(m.job_id);
        await ok('cancel', `cancel: ${r.cancel}`, m.job_id);
        return;
      }
      case 'apply': {
        const r = await app.jobs.apply(m.job_id);
        await ok('apply', `applied ${r.files.length} file(s)`, m.job_id);
        return;
      }
      case 'discard': {
        const r = await app.jobs.discard(m.job_id, m.force ?? false);
        await ok('discard', `discarded ${r.files.length} file(s)`, m.job_id);
        return;
      }
      case 'retry': {
        const r = await app.jobs.retry(m.job_id, this.deps.host.approve);
        await ok('retry', `retried as ${r.id}`, r.id);
        return;
      }
      case 'approve': {
        if (!this.deps.host.approvals.answer(m.approval_id, m.approved))
          throw new Error(`approval ${m.approval_id} was already answered or is unknown`);
        await ok('approve', m.approved ? 'approved' : 'declined');
        return;
      }
      case 'resetBreaker': {
        const r = await app.breaker.reset();
        this.deps.host.breakerChanged();
        await ok('resetBreaker', `breaker ${r.state}`);
        return;
      }
      case 'openDiff': {
        const job = await app.ledger.getJob(m.job_id);
        await vscode.commands.executeCommand(
          'vscode.diff',
          jobFileUri(m.job_id, m.file, 'pre'),
          jobFileUri(m.job_id, m.file, 'post'),
          `${m.file} (job ${m.job_id.slice(0, 8)})${job ? '' : ' — unknown job'}`,
        );
        return;
      }
    }
  }

  dispose(): void {
    if (JobsPanel.current === this) JobsPanel.current = undefined;
    clearInterval(this.poll);
    clearTimeout(this.flushTimer);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
