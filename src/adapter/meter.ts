import type { Micros } from '../core/money';
import type { Usage } from '../core/usage';

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

/** A hold on budget for one upstream call. */
export interface MeterHold {
  id: string;
}

/**
 * What the adapter needs from the money layer, per upstream call: resolve the caller's key to a
 * job, reserve the worst case before the call goes out, settle the real usage after (also for a
 * partial, aborted stream), release when nothing was sent. Implemented over the Ledger by
 * `createLedgerMeter` (src/adapter/ledger-meter.ts).
 */
export interface Meter {
  /** The job for an adapter key, or undefined (the adapter answers 401). */
  authorize(key: string): MeteredJob | undefined;
  /** Throws BudgetExceededError (src/core/budget.ts) or UnknownPriceError (src/core/pricing.ts). */
  reserve(job: MeteredJob, model: string, inputTokensBound: number, maxOutputTokens: number): Promise<MeterHold>;
  /** Records the call's real usage; resolves with the cost charged, µUSD (for WORKER_METRICS_FILE). */
  settle(hold: MeterHold, model: string, usage: Usage, info: { status: string; latencyMs: number; route: 'primary' | 'fallback' }): Promise<Micros>;
  release(hold: MeterHold): Promise<void>;
}
