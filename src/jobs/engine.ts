import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import PQueue from 'p-queue';
import { BreakerOpenError } from '../core/breaker';
import { BudgetExceededError } from '../core/budget';
import { TERMINAL_STATUSES, type JobKind, type JobRecord, type JobStatus } from '../core/jobs';
import { shapeResult } from '../core/results';
import { formatUsd } from '../core/money';
import { redact, redactValue } from '../core/redact';
import { sleep } from '../core/timers';
import type { Ledger, SpendStats } from '../ledger/ledger';
import { CancelWatch } from './cancel-watch';
import { JobLogFile, jobLogPath, readJobLog } from './job-log-file';
import { LogBuffer } from './log-buffer';
import {
  outcome,
  submitResult,
  type CancelOutcome,
  type JobEngineEvents,
  type JobEngineOptions,
  type SubmitMeta,
} from './engine-contract';
import type { RunOutcome, Runner } from './runner';

export type { CancelOutcome, JobEngineEvents, JobEngineOptions, SubmitMeta } from './engine-contract';

/**
 * The job engine: creates jobs in the ledger, runs them through their runner on a bounded queue,
 * keeps their live logs, and lets callers wait, tail and cancel. `wait` never kills a job on
 * timeout; `cancel` aborts its signal (runners kill their process trees).
 */
export class JobEngine extends EventEmitter<JobEngineEvents> {
  private readonly runners = new Map<JobKind, Runner>();
  private readonly queue: PQueue;
  private readonly live = new Map<
    string,
    { controller: AbortController; logs: LogBuffer; done: Promise<JobRecord>; startedAt: number; ended: boolean }
  >();
  private readonly watch: CancelWatch;

  constructor(
    readonly ledger: Ledger,
    private readonly opts: JobEngineOptions,
  ) {
    super();
    this.queue = new PQueue({ concurrency: opts.concurrency });
    this.watch = new CancelWatch(ledger, {
      jobIds: () => this.activeJobIds(),
      abort: (id) => this.live.get(id)?.controller.abort(new Error('cancelled from another process')),
      pollMs: opts.cancelPollMs,
      timer: opts.cancelTimer,
    });
  }

  register(runner: Runner<never>): void {
    this.runners.set(runner.kind, runner as Runner);
  }

  /**
   * The job's ledger row: a new id, the redacted request, the agent, model and cost cap of `meta`,
   * and its submit result (forecast, routing, schedule: submitResult); `status` default queued.
   */
  private createRecord(kind: JobKind, request: unknown, meta: SubmitMeta, status?: JobStatus): Promise<JobRecord> {
    return this.ledger.createJob({
      id: randomUUID(),
      kind,
      agent: meta.agent ?? null,
      model: meta.model,
      request: this.redacted(request),
      maxCostMicros: meta.maxCostMicros ?? null,
      result: submitResult(meta),
      ...(status !== undefined && { status }),
    });
  }

  /** Creates the job (status queued) and schedules it. Returns at once. Throws if no runner exists for `kind`. */
  async submit(kind: JobKind, request: unknown, meta: SubmitMeta): Promise<JobRecord> {
    const runner = this.runners.get(kind);
    if (!runner) throw new Error(`no runner for job kind ${kind}`);
    const job = await this.createRecord(kind, request, meta);
    this.enqueue(runner, job, request, meta.startAtMs);
    return job;
  }

  /**
   * Re-queues a job that another process left waiting for its off-peak start and this process's
   * ledger adopted (HostLedger.adoptWaiting): its stored request (redacted when stored; prompts
   * are redacted before they go out anyway) and its row's agent, model and cap, starting at its
   * `scheduled_for` (at once when that passed). False when this engine has it already or no runner
   * for its kind.
   */
  adopt(job: JobRecord): boolean {
    const runner = this.runners.get(job.kind);
    if (!runner || this.live.has(job.id)) return false;
    const at = Date.parse(String((job.result as { scheduled_for?: unknown } | null)?.scheduled_for));
    this.enqueue(runner, job, job.request, Number.isNaN(at) ? undefined : at);
    return true;
  }

  /** Waits for `startAtMs`, then runs `job` on the queue; tracks it in `live` for wait, tail and cancel. */
  private enqueue(runner: Runner, job: JobRecord, request: unknown, startAtMs: number | undefined): void {
    const controller = new AbortController();
    const logs = new LogBuffer();
    const file =
      this.opts.logDir === undefined
        ? undefined
        : new JobLogFile(jobLogPath(this.opts.logDir, job.id), {
            maxBytes: this.opts.logMaxBytes,
            onError: (m) => logs.push(m),
          });
    const done = this.waitUntil(startAtMs, controller.signal).then(
      () =>
        this.queue.add(() => this.execute(runner, job, request, controller.signal, logs, file)) as Promise<JobRecord>,
    );
    const entry = { controller, logs, done, startedAt: this.now(), ended: false };
    this.live.set(job.id, entry);
    void done
      .finally(() => {
        entry.ended = true;
      })
      .catch(() => undefined);
    this.watch.wake();
    this.emit('job', job);
  }

  /**
   * Stores a job that never runs: status `rejected` (e.g. not approved) or `budget_exceeded`
   * (refused by its forecast), with `error`, its forecast and a receipt of zero spend.
   */
  async reject(
    kind: JobKind,
    request: unknown,
    meta: SubmitMeta,
    error: string,
    status: Extract<JobStatus, 'rejected' | 'budget_exceeded'> = 'rejected',
  ): Promise<JobRecord> {
    const job = await this.createRecord(kind, request, meta, status);
    const result: Record<string, unknown> = submitResult(meta) ?? {};
    const savings = this.receiptFor({ ...job, error, result }, 0);
    const record = await this.ledger.updateJob(job.id, {
      error,
      result: savings ? { ...result, savings } : Object.keys(result).length ? result : null,
    });
    this.emit('job', record);
    return record;
  }

  /** Submits and waits for the terminal record. */
  async run(kind: JobKind, request: unknown, meta: SubmitMeta): Promise<JobRecord> {
    const job = await this.submit(kind, request, meta);
    return this.live.get(job.id)!.done;
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    return this.ledger.getJob(jobId);
  }

  /** The job once terminal, or its current record after `timeoutMs` (the job keeps running). Throws on an unknown id. */
  async wait(jobId: string, timeoutMs: number): Promise<JobRecord> {
    const entry = this.live.get(jobId);
    if (entry) {
      const timers = this.opts.timers ?? globalThis;
      let timer: unknown;
      const timeout = new Promise<undefined>((resolve) => {
        timer = timers.setTimeout(() => resolve(undefined), timeoutMs);
      });
      const finished = await Promise.race([entry.done, timeout]);
      timers.clearTimeout(timer);
      if (finished) return finished;
    }
    const job = await this.ledger.getJob(jobId);
    if (!job) throw new Error(`job_id ${jobId} is unknown: use a job_id returned by start or run_job`);
    return job;
  }

  /**
   * Last `n` log lines of a job and how many it has logged: from memory when this process runs or
   * ran it (`source: 'memory'`), else from its log file (`'file'`; empty when no file exists:
   * the job logged nothing yet, or its process keeps no files). Lines are redacted.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the memory tail and the sync file read keep the async contract (a throw reaches callers as a rejection)
  async tail(jobId: string, n: number): Promise<{ lines: string[]; total: number; source: 'memory' | 'file' }> {
    const logs = this.live.get(jobId)?.logs;
    if (logs || this.opts.logDir === undefined)
      return { lines: logs?.tail(n) ?? [], total: logs?.total ?? 0, source: 'memory' };
    return { ...readJobLog(jobLogPath(this.opts.logDir, jobId), n), source: 'file' };
  }

  elapsedMs(jobId: string): number {
    const entry = this.live.get(jobId);
    return entry ? this.now() - entry.startedAt : 0;
  }

  /** Cancels a queued or running job of this process. Returns false when it had already ended or is unknown here. */
  async cancel(jobId: string): Promise<boolean> {
    const entry = this.live.get(jobId);
    const job = await this.ledger.getJob(jobId);
    if (!entry || !job || TERMINAL_STATUSES.has(job.status)) return false;
    entry.controller.abort(new Error('cancelled'));
    return true;
  }

  /**
   * Cancels a job whichever process runs it: this one's directly (waiting up to 10 s for it to
   * end), another's by a request in the ledger that its process acts on (CancelWatch), waiting up
   * to `cancelWaitMs` for the job to end. Throws Error naming job_id for an unknown job.
   */
  async cancelAnywhere(jobId: string): Promise<CancelOutcome> {
    const waitMs = this.opts.cancelWaitMs ?? 5_000;
    const before = await this.ledger.getJob(jobId);
    if (!before) throw new Error(`job_id ${jobId} is unknown: use a job_id returned by start or run_job`);
    if (TERMINAL_STATUSES.has(before.status)) return outcome('already_ended', before);
    if (await this.cancel(jobId)) return outcome('stopped', await this.wait(jobId, Math.max(waitMs, 10_000)));
    if (await this.opts.cancelOutside?.(jobId)) return this.waitEnded(before, waitMs, 'stopped');
    const asked = await this.ledger.requestCancel(jobId);
    if (TERMINAL_STATUSES.has(asked.job.status))
      return outcome(asked.ownerGone ? 'owner_gone' : 'already_ended', asked.job);
    return this.waitEnded(asked.job, waitMs, 'stopped_by_owner');
  }

  /** Polls the ledger every 50 ms until `job` is terminal (→ `ended`) or `waitMs` passed (→ `requested`). */
  private async waitEnded(job: JobRecord, waitMs: number, ended: CancelOutcome['cancel']): Promise<CancelOutcome> {
    const timers = this.opts.timers ?? globalThis;
    const deadline = timers.Date.now() + waitMs;
    for (let j = job; ; j = (await this.ledger.getJob(job.id))!) {
      if (TERMINAL_STATUSES.has(j.status)) return outcome(ended, j);
      if (timers.Date.now() >= deadline) return outcome('requested', j);
      await sleep(timers, 50);
    }
  }

  /** Ids of the jobs this process has queued or running (other processes' jobs are not listed). */
  activeJobIds(): string[] {
    return [...this.live].filter(([, e]) => !e.ended).map(([id]) => id);
  }

  /** Cancels every job this process has queued or running. */
  async cancelAll(): Promise<void> {
    for (const id of this.activeJobIds()) await this.cancel(id);
  }

  /** The time of the engine's `timers` clock, epoch ms (what `startAtMs` is measured on). */
  clockNow(): number {
    return (this.opts.timers ?? globalThis).Date.now();
  }

  /**
   * Resolves at `atMs` on the `timers` clock, or at once when it is unset or past, or as soon as
   * `signal` aborts (a cancelled waiting job then ends `cancelled` before it started). Never rejects.
   */
  private waitUntil(atMs: number | undefined, signal: AbortSignal): Promise<void> {
    const timers = this.opts.timers ?? globalThis;
    const delay = atMs === undefined ? 0 : atMs - timers.Date.now();
    if (delay <= 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = () => {
        timers.clearTimeout(handle);
        resolve();
      };
      const handle = timers.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  spendStats(now?: Date): Promise<SpendStats> {
    return this.ledger.spendStats(now);
  }

  /** Waits for every running job to end (used at shutdown and in tests). */
  async idle(): Promise<void> {
    await this.queue.onIdle();
  }

  /** Stops watching the ledger for cancel requests (at shutdown, after cancelAll). */
  stopWatching(): void {
    this.watch.stop();
  }

  private async execute(
    runner: Runner,
    job: JobRecord,
    request: unknown,
    signal: AbortSignal,
    logs: LogBuffer,
    file?: JobLogFile,
  ): Promise<JobRecord> {
    const log = (line: string) => {
      const clean = redact(line, this.opts.secrets?.() ?? []);
      logs.push(clean);
      file?.append(clean);
      this.emit('log', { jobId: job.id, line: clean });
    };
    if (signal.aborted) return this.finish(job, { status: 'cancelled', error: 'cancelled before it started' });
    // An open breaker admits nothing: the job never starts and ends `rejected` saying why and how to reset.
    // (Opened while a job runs, its next reservation is refused and it ends `budget_exceeded`.)
    const breaker = await this.ledger.breakerStatus();
    if (breaker.state === 'open') {
      const error = new BreakerOpenError(breaker).message;
      log(`error: ${error}`);
      return this.finish(job, { status: 'rejected', error });
    }
    this.emit('job', await this.ledger.updateJob(job.id, { status: 'running' }));
    let outcome: RunOutcome;
    try {
      outcome = await runner.run({ job, signal, log }, request);
      if (signal.aborted && outcome.status !== 'budget_exceeded') outcome = { ...outcome, status: 'cancelled' };
    } catch (err) {
      if (err instanceof BudgetExceededError) outcome = { status: 'budget_exceeded', error: err.message };
      else if (signal.aborted) outcome = { status: 'cancelled', error: 'cancelled' };
      else outcome = { status: 'failed', error: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.status === 'budget_exceeded') {
      // A job stopped by a cap says what it spent (settled so far, µUSD → USD), not only what was refused.
      const spent = (await this.ledger.getJob(job.id))?.costMicros ?? 0;
      outcome = {
        ...outcome,
        error: `${outcome.error ?? 'a cap was reached'}; the job was stopped after spending ${formatUsd(spent)}`,
      };
    }
    if (outcome.error) log(`error: ${outcome.error}`);
    log(`job ${outcome.status}`);
    return this.finish(job, outcome);
  }

  /**
   * Stores the terminal outcome, merged over what the job's result held (its forecast), with its
   * savings receipt, in one write: the receipt is shaped from the record as it is about to be stored.
   */
  private async finish(
    job: JobRecord,
    outcome: RunOutcome | { status: 'rejected'; error: string; result?: undefined; transcriptBytes?: undefined },
  ): Promise<JobRecord> {
    const secrets = this.opts.secrets?.() ?? [];
    const base = job.result && typeof job.result === 'object' ? job.result : {};
    const merged = { ...base, ...(outcome.result ? redactValue(outcome.result, secrets) : {}) };
    const error = outcome.error ? redact(outcome.error, secrets) : null;
    const savings = this.receiptFor(
      { ...((await this.ledger.getJob(job.id)) ?? job), status: outcome.status, result: merged, error },
      outcome.transcriptBytes ?? 0,
    );
    const result = savings ? { ...merged, savings } : merged;
    const record = await this.ledger.updateJob(job.id, {
      status: outcome.status,
      result: Object.keys(result).length ? result : null,
      error,
    });
    this.emit('job', record);
    return record;
  }

  /** `value` as the ledger stores it: every configured secret and key shape masked (the runner still gets the original). */
  private redacted<T>(value: T): T {
    return redactValue(value, this.opts.secrets?.() ?? []);
  }

  /** The savings receipt (opts.receipt) of a terminal record, or undefined when the engine makes none. */
  private receiptFor(record: JobRecord, transcriptBytes: number): object | undefined {
    return this.opts.receipt?.(shapeResult(record), record, transcriptBytes);
  }

  private now(): number {
    return this.opts.clock?.() ?? Date.now();
  }
}
