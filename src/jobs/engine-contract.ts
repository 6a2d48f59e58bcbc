/**
 * What the job engine (engine.ts) is given and answers: a submitted job's options, the engine's
 * options and events, a cancel's outcome, and the part of a result known at submit.
 */
import type { Forecast } from '../core/approval';
import { forecastJson } from '../core/forecast';
import type { JobRecord } from '../core/jobs';
import type { JobResult } from '../core/results';
import type { Timers } from '../core/timers';
import type { IntervalTimer } from './cancel-watch';

/** Options of a submitted job beyond its request. Money in µUSD. */
export interface SubmitMeta {
  agent?: string | null;
  model: string;
  maxCostMicros?: number | null;
  /** The job's cost forecast; stored in its result at once (`forecast: {low_usd, high_usd}`), so every read shows it. */
  forecast?: Forecast;
  /** How `agent: "auto"` chose the tier (core/routing.ts routingJson); stored in its result at once like the forecast. */
  routing?: object;
  /**
   * When the job may start, epoch ms on the engine's `timers` clock (off-peak scheduling,
   * core/off-peak.ts). Until then it stays `queued` outside the run queue, holding no
   * reservation; its result shows `scheduled_for` (ISO 8601 UTC). Unset or past: at once.
   */
  startAtMs?: number;
  /** The off-peak schedule's prices and forecasts (now vs scheduled), stored in the result at once as `schedule`. */
  schedule?: object;
}

/** The part of a job's result known at submit: its forecast and routing decision, or null for none. */
export function submitResult(meta: SubmitMeta): Record<string, unknown> | null {
  const result: Record<string, unknown> = {};
  if (meta.forecast) result.forecast = forecastJson(meta.forecast);
  if (meta.routing) result.routing = meta.routing;
  if (meta.startAtMs !== undefined) result.scheduled_for = new Date(meta.startAtMs).toISOString();
  if (meta.schedule) result.schedule = meta.schedule;
  return Object.keys(result).length ? result : null;
}

/** Builds a terminal job's savings receipt from its shaped result (src/core/savings.ts); `transcriptBytes` from the runner. */
export type ReceiptMaker = (shaped: JobResult, job: JobRecord, transcriptBytes: number) => object;

/**
 * What `cancelAnywhere` did: `stopped` (this process ran the job and stopped it), `stopped_by_owner`
 * (another process ran it and ended it within the wait), `requested` (asked; its process has not
 * ended it yet), `owner_gone` (its process had died; the job was ended as an orphan),
 * `already_ended` (it was terminal before). `job` is the record after the wait.
 */
export interface CancelOutcome {
  cancel: 'stopped' | 'stopped_by_owner' | 'requested' | 'owner_gone' | 'already_ended';
  /** True when this call stopped the job or asked its process to (stopped, stopped_by_owner, requested). */
  cancelled: boolean;
  job: JobRecord;
}

/** A CancelOutcome, `cancelled` derived from `cancel`. */
export function outcome(cancel: CancelOutcome['cancel'], job: JobRecord): CancelOutcome {
  return { cancel, cancelled: cancel === 'stopped' || cancel === 'stopped_by_owner' || cancel === 'requested', job };
}

/** Options of the engine. Times in ms. */
export interface JobEngineOptions {
  concurrency: number;
  secrets?: () => readonly (string | undefined)[];
  clock?: () => number;
  /**
   * Where each job's redacted log is also written (`<logDir>/<job_id>.log`, bounded, see
   * JobLogFile), so `tail` works from other processes sharing the ledger. Unset: memory only.
   */
  logDir?: string;
  /** Bound of each job log file, bytes. Default JOB_LOG_MAX_BYTES. */
  logMaxBytes?: number;
  /** How often to look for cancels other processes asked for this process's jobs. Default CANCEL_POLL_MS. */
  cancelPollMs?: number;
  /** The timer of that watch (tests drive it by hand). */
  cancelTimer?: IntervalTimer;
  /** How long cancelAnywhere waits for the job to end, ms. Default 5,000. */
  cancelWaitMs?: number;
  /** The clock `wait`'s timeout and cancelAnywhere's wait (a look every 50 ms) run on. Default globalThis. */
  timers?: Timers;
  /** Makes the savings receipt of each terminal job (app.ts: core/savings.ts). Unset: no receipt. */
  receipt?: ReceiptMaker;
  /**
   * Cancels a job this process follows outside the engine (a provider batch item,
   * provider-batch.ts); resolves false when the job is none of those.
   */
  cancelOutside?: (jobId: string) => Promise<boolean>;
}

/** Events: 'job' (JobRecord) on every state change, 'log' ({jobId, line}). */
export interface JobEngineEvents {
  job: [JobRecord];
  log: [{ jobId: string; line: string }];
}
