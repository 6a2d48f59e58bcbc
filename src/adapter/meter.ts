import type { CallSpec, OpenCall } from './metered-call';
import type { MetricsSink } from './metrics';

/** The job an adapter key belongs to. Each agent job gets its own key (DESIGN.md, money rules). */
export interface MeteredJob {
  jobId: string;
  /** Gateway model the job's Claude-named requests are sent to. */
  model: string;
  /** Model for revise passes (WORKER_ESCALATE_MODEL), if any. */
  escalateModel?: string;
  /** Abort signal of the job: cancel aborts in-flight upstream requests. */
  signal?: AbortSignal;
  /** Told the byte length of every /v1/messages body the job's client sends (for the savings receipt's transcript_bytes). */
  onRequestBytes?: (bytes: number) => void;
}

/**
 * What the adapter needs from the money layer: resolve the caller's key to a job, and run each
 * upstream call as one metered call (reserve the worst case before it goes out, settle the real
 * usage after, also for a partial, aborted stream, release when nothing was sent; see meteredCall,
 * src/adapter/metered-call.ts). Implemented over the Ledger by `createLedgerMeter`
 * (src/adapter/ledger-meter.ts).
 */
export interface Meter {
  /** The job for an adapter key, or undefined (the adapter answers 401). */
  authorize(key: string): MeteredJob | undefined;
  /**
   * meteredCall for `job` (its id, and its signal for the reservation's wait), with `metrics` as the sink of its lines.
   * Throws BudgetExceededError (src/core/budget.ts) or UnknownPriceError (src/core/pricing.ts) before `send` runs.
   */
  call<T>(
    job: MeteredJob,
    spec: Pick<CallSpec, 'model' | 'inputTokensBound' | 'maxOutputTokens'>,
    metrics: MetricsSink,
    send: (call: OpenCall) => Promise<T>,
  ): Promise<T>;
}
