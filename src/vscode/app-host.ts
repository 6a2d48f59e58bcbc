import * as vscode from 'vscode';
import type { App, McpHttpRequestRecord, McpHttpServer } from '../app';
import type { Approver } from '../core/approval';
import type { Config } from '../core/config';
import { SERVER_STOP_DEADLINE_MS } from '../core/http-guard';
import type { JobRecord } from '../core/jobs';
import { ledgerLabel } from '../core/ledger-url';
import { PendingApprovals } from './approvals';
import { chatJobLink } from './chat-link';
import { loadAppModule } from './load-app';
import type { RedactingLog } from './log';

/** How many MCP HTTP requests the host remembers (Doctor and tests read them). */
const REQUEST_HISTORY = 200;

/**
 * Holds the extension's app and its MCP HTTP server. The HTTP listener starts cheaply and lives
 * as long as the extension (same port and token); the app — whose ledger loads sql.js and its
 * WASM — is built on first use, so activation never waits for it. `restart` rebuilds the app
 * after a settings or key change and ends the MCP sessions, whose clients reconnect to the new app.
 */
export class AppHost implements vscode.Disposable {
  private app: Promise<App> | undefined;
  private http: Promise<McpHttpServer> | undefined;
  private restarting: Promise<void> = Promise.resolve();
  private readonly jobEmitter = new vscode.EventEmitter<JobRecord>();
  private readonly restartEmitter = new vscode.EventEmitter<void>();
  /** Recent MCP HTTP requests, oldest first. */
  readonly requests: McpHttpRequestRecord[] = [];
  /** Every job state change of the current app (queued, running, terminal). */
  readonly onDidChangeJob = this.jobEmitter.event;
  /** The app was rebuilt (spend, caps and keys may differ). */
  readonly onDidRestart = this.restartEmitter.event;
  private readonly breakerEmitter = new vscode.EventEmitter<void>();
  /** The breaker was tripped or reset from this window (other processes' changes show on the next poll). */
  readonly onDidChangeBreaker = this.breakerEmitter.event;

  /**
   * The questions waiting for a human yes, answerable from a non-modal notification or the jobs
   * panel (`approvals.answer`); `approvals.list()` / `onDidChange` feed the panel.
   */
  readonly approvals: PendingApprovals;
  /** How this host asks a human about a job that needs approval: `approvals.ask`, unless a test replaced it (test-api.ts). */
  private approver: Approver;
  /**
   * Asks about a job that needs approval (premium-worker, or over the approval threshold): the
   * approver for this window's commands, and for MCP clients without elicitation.
   */
  readonly approve: Approver = (question) => {
    this.log.info(`asking for approval: ${question}`);
    return this.approver(question);
  };

  constructor(
    private readonly loadConfig: () => Promise<Config>,
    private readonly log: RedactingLog,
  ) {
    this.approvals = new PendingApprovals({
      notify: (question, buttons) => vscode.window.showWarningMessage(question, ...buttons),
      executeCommand: (command, arg) => vscode.commands.executeCommand(command, arg),
      log: (line) => this.log.warn(line),
    });
    this.approver = this.approvals.ask;
  }

  /** Replaces the approver (undefined restores `approvals.ask`). For the extension-host tests only. */
  setApprover(approver: Approver | undefined): void {
    this.approver = approver ?? this.approvals.ask;
  }

  /** The app, built on the first call. A failed build is logged and not cached (the next call retries). Throws ConfigError or the ledger's error. */
  getApp(): Promise<App> {
    this.app ??= this.build().catch((err: unknown) => {
      this.app = undefined;
      this.log.error(`cannot start Offload: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    });
    return this.app;
  }

  /** The MCP HTTP server on 127.0.0.1 (started on the first call; one per extension host). */
  mcpServer(): Promise<McpHttpServer> {
    this.http ??= loadAppModule()
      .then(({ serveMcpHttp }) =>
        serveMcpHttp({
          createServer: async () =>
            (await this.getApp()).createMcpServer({ jobLink: (id) => chatJobLink(vscode.env.uriScheme, id) }), // job results link to the panel (chat-link.ts)
          onRequest: (r) => {
            this.requests.push(r);
            if (this.requests.length > REQUEST_HISTORY) this.requests.shift();
            const line = `MCP ${r.method} ${r.path} ${r.rpcMethods.join(',') || '-'} → ${r.status}${r.refused ? ` (${r.refused})` : ''}`;
            if (r.refused) this.log.warn(line);
            else this.log.trace(line);
          },
        }),
      )
      .then((server) => {
        this.log.info(`MCP server (Streamable HTTP) on ${server.url}`);
        return server;
      });
    return this.http;
  }

  /** Applies new caps to the running ledger without a restart (money settings take effect at once). */
  async applyCaps(config: Config): Promise<void> {
    if (!this.app) return;
    const { capsOf } = await loadAppModule();
    (await this.app).ledger.setCaps(capsOf(config));
  }

  /** Tells listeners (the status bar) that the breaker changed. */
  breakerChanged(): void {
    this.breakerEmitter.fire();
  }

  /** Jobs of the current app (this window, not other windows or CLI workers) still queued or running. */
  async activeJobs(): Promise<JobRecord[]> {
    if (!this.app) return [];
    const app = await this.app;
    const jobs = await Promise.all(app.engine.activeJobIds().map((id) => app.ledger.getJob(id)));
    return jobs.filter((j): j is JobRecord => j !== undefined && (j.status === 'queued' || j.status === 'running'));
  }

  /** Closes the app (cancelling its running jobs), ends MCP sessions and builds a new app. Restarts run one at a time. */
  restart(): Promise<void> {
    this.restarting = this.restarting.then(() => this.restartNow());
    return this.restarting;
  }

  private async restartNow(): Promise<void> {
    const old = this.app;
    this.app = undefined;
    if (this.http) await (await this.http).closeSessions();
    if (old) await (await old.catch(() => undefined))?.close();
    await this.getApp().catch(() => undefined);
    this.restartEmitter.fire();
  }

  /**
   * Stops everything (the MCP listener and its sessions, then the app: jobs cancelled, their
   * children ended, reservations released); awaited by deactivate. Resolves within
   * SERVER_STOP_DEADLINE_MS even if a step hangs (logged), so VS Code never waits on Offload.
   */
  async close(): Promise<void> {
    const [app, http] = [this.app, this.http];
    this.app = undefined;
    this.http = undefined;
    const stopping = (async () => {
      if (http) await (await http.catch(() => undefined))?.close();
      if (app) await (await app.catch(() => undefined))?.close();
    })().then(
      () => true,
      (err: unknown) => {
        this.log.error(`stopping Offload failed: ${err instanceof Error ? err.message : String(err)}`);
        return true;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), SERVER_STOP_DEADLINE_MS);
    });
    if (!(await Promise.race([stopping, late])))
      this.log.warn(`stopping Offload took over ${SERVER_STOP_DEADLINE_MS} ms; not waiting any longer`);
    clearTimeout(timer);
  }

  dispose(): void {
    this.approvals.dispose(); // pending questions are answered no, so no job waits on a closed window
    void this.close();
    this.jobEmitter.dispose();
    this.restartEmitter.dispose();
    this.breakerEmitter.dispose();
  }

  private async build(): Promise<App> {
    const started = performance.now();
    const config = await this.loadConfig();
    const { createApp } = await loadAppModule();
    const http = this.http;
    let token: string | undefined; // the MCP bearer token is a configured secret (README, Security)
    void http?.then(
      (h) => {
        token = h.token;
      },
      () => undefined,
    );
    const app = await createApp(config, {
      env: process.env,
      log: (line) => this.log.info(line),
      approve: this.approve,
      secrets: () => [token],
      adoptWaiting: true,
    });
    app.engine.on('job', (job) => this.jobEmitter.fire(job));
    this.log.info(
      `app ready in ${Math.round(performance.now() - started)} ms; ledger ${ledgerLabel(config)}; sandbox ${config.sandboxRoots.join(', ')}`,
    );
    return app;
  }
}
