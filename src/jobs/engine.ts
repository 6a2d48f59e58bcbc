import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import PQueue from 'p-queue';
import { BreakerOpenError } from '../core/breaker';
import { BudgetExceededError } from '../core/budget';
import type { Forecast } from '../core/approval';
import { TERMINAL_STATUSES, type JobKind, type JobRecord, type JobStatus } from '../core/jobs';
import { forecastJson } from '../core/forecast';
import { shapeResult, type JobResult } from '../core/results';
import { formatUsd } from '../core/money';
import { redact } from '../core/redact';
import type { Ledger, SpendStats } from '../ledger/ledger';
import { LogBuffer } from './log-buffer';
import type { RunOutcome, Runner } from './runner';

/** Options of a submitted job beyond its request. Money in µUSD. */
export interface SubmitMeta {
  agent?: string | null;
  model: string;
  maxCostMicros?: number | null;
  /** The job's cost forecast; stored in its result at once (`forecast: {low_usd, high_usd}`), so every read shows it. */
  forecast?: Forecast;
}

/** Builds a terminal job's savings receipt from its shaped result (src/core/savings.ts); `transcriptBytes` from the runner. */
export type ReceiptMaker = (shaped: JobResult, job: JobRecord, transcriptBytes: number) => object;

/** Events: 'job' (JobRecord) on every state change, 'log' ({jobId, line}). */
export interface JobEngineEvents {
  job: [JobRecord];
  log: [{ jobId: string; line: string }];
}

/**
 * The job engine: creates jobs in the ledger, runs them through their runner on a bounded queue,
 * keeps their live logs, and lets callers wait, tail and cancel. `wait` never kills a job on
 * timeout; `cancel` aborts its signal (runners kill their process trees).
 */
export class JobEngine extends EventEmitter<JobEngineEvents> {
  private readonly runners = new Map<JobKind, Runner>();
  private readonly queue: PQueue;
  private readonly live = new Map<string, { controller: AbortController; logs: LogBuffer; done: Promise<JobRecord>; startedAt: number; ended: boolean }>();

  constructor(
    readonly ledger: Ledger,
    private readonly opts: { concurrency: number; secrets?: () => readonly (string | undefined)[]; clock?: () => number; receipt?: ReceiptMaker },
  ) {
    super();
    this.queue = new PQueue({ concurrency: opts.concurrency });
  }

  register(runner: Runner<never>): void {
    this.runners.set(runner.kind, runner as Runner);
  }

  /** Creates the job (status queued) and schedules it. Returns at once. Throws if no runner exists for `kind`. */
  async submit(kind: JobKind, request: unknown, meta: SubmitMeta): Promise<JobRecord> {
    const runner = this.runners.get(kind);
    if (!runner) throw new Error(`no runner for job kind ${kind}`);
    const created = await this.ledger.createJob({ id: randomUUID(), kind, agent: meta.agent ?? null, model: meta.model, request, maxCostMicros: meta.maxCostMicros ?? null });
    const job = meta.forecast ? await this.ledger.updateJob(created.id, { result: { forecast: forecastJson(meta.forecast) } }) : created;
    const controller = new AbortController();
    const logs = new LogBuffer();
    const done = this.queue.add(() => this.execute(runner, job, request, controller.signal, logs)) as Promise<JobRecord>;
    const entry = { controller, logs, done, startedAt: this.now(), ended: false };
    this.live.set(job.id, entry);
    void done.finally(() => { entry.ended = true; }).catch(() => undefined);
    this.emit('job', job);
    return job;
  }

  /**
   * Stores a job that never runs: status `rejected` (e.g. not approved) or `budget_exceeded`
   * (refused by its forecast), with `error`, its forecast and a receipt of zero spend.
   */
  async reject(kind: JobKind, request: unknown, meta: SubmitMeta, error: string, status: Extract<JobStatus, 'rejected' | 'budget_exceeded'> = 'rejected'): Promise<JobRecord> {
    const job = await this.ledger.createJob({ id: randomUUID(), kind, agent: meta.agent ?? null, model: meta.model, request, maxCostMicros: meta.maxCostMicros ?? null, status });
    const result: Record<string, unknown> = meta.forecast ? { forecast: forecastJson(meta.forecast) } : {};
    const savings = this.receiptFor({ ...job, error, result }, 0);
    const record = await this.ledger.updateJob(job.id, { error, result: savings ? { ...result, savings } : Object.keys(result).length ? result : null });
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
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), timeoutMs); });
      const finished = await Promise.race([entry.done, timeout]);
      clearTimeout(timer);
      if (finished) return finished;
    }
    const job = await this.ledger.getJob(jobId);
    if (!job) throw new Error(`job_id ${jobId} is unknown: use a job_id returned by start or run_job`);
    return job;
  }

  /** Last `n` log lines of a job run by this process (empty for jobs of other processes). */
  tail(jobId: string, n: number): { lines: string[]; total: number } {
    const logs = this.live.get(jobId)?.logs;
    return { lines: logs?.tail(n) ?? [], total: logs?.total ?? 0 };
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

  /** Ids of the jobs this process has queued or running (other processes' jobs are not listed). */
  activeJobIds(): string[] {
    return [...this.live].filter(([, e]) => !e.ended).map(([id]) => id);
  }

  /** Cancels every job this process has queued or running. */
  async cancelAll(): Promise<void> {
    for (const id of this.activeJobIds()) await this.cancel(id);
  }

  spendStats(now?: Date): Promise<SpendStats> {
    return this.ledger.spendStats(now);
  }

  /** Waits for every running job to end (used at shutdown and in tests). */
  async idle(): Promise<void> {
    await this.queue.onIdle();
  }

  private async execute(runner: Runner, job: JobRecord, request: unknown, signal: AbortSignal, logs: LogBuffer): Promise<JobRecord> {
    const log = (line: string) => {
      const clean = redact(line, this.opts.secrets?.() ?? []);
      logs.push(clean);
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
      outcome = { ...outcome, error: `${outcome.error ?? 'a cap was reached'}; the job was stopped after spending ${formatUsd(spent)}` };
    }
    if (outcome.error) log(`error: ${outcome.error}`);
    log(`job ${outcome.status}`);
    return this.finish(job, outcome);
  }

  /**
   * Stores the terminal outcome, merged over what the job's result held (its forecast), with its
   * savings receipt, in one write: the receipt is shaped from the record as it is about to be stored.
   */
  private async finish(job: JobRecord, outcome: RunOutcome | { status: 'rejected'; error: string; result?: undefined; transcriptBytes?: undefined }): Promise<JobRecord> {
    const secrets = this.opts.secrets?.() ?? [];
    const base = job.result && typeof job.result === 'object' ? job.result : {};
    const merged = { ...base, ...(outcome.result ? JSON.parse(redact(JSON.stringify(outcome.result), secrets)) : {}) };
    const error = outcome.error ? redact(outcome.error, secrets) : null;
    const savings = this.receiptFor({ ...((await this.ledger.getJob(job.id)) ?? job), status: outcome.status, result: merged, error }, outcome.transcriptBytes ?? 0);
    const result = savings ? { ...merged, savings } : merged;
    const record = await this.ledger.updateJob(job.id, { status: outcome.status, result: Object.keys(result).length ? result : null, error });
    this.emit('job', record);
    return record;
  }

  /** The savings receipt (opts.receipt) of a terminal record, or undefined when the engine makes none. */
  private receiptFor(record: JobRecord, transcriptBytes: number): object | undefined {
    return this.opts.receipt?.(shapeResult(record), record, transcriptBytes);
  }

  private now(): number {
    return this.opts.clock?.() ?? Date.now();
  }
}
