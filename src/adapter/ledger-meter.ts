import { randomBytes } from 'node:crypto';
import type { PriceBook } from '../core/pricing';
import type { Ledger } from '../ledger/ledger';
import { meteredCall } from './metered-call';
import type { Meter, MeteredJob } from './meter';

/** A Meter over the ledger, plus the key registry: each agent job gets its own adapter key. */
export interface LedgerMeter extends Meter {
  /**
   * Registers a job and returns its adapter key: `key` when given (the standalone adapter's
   * OFFLOAD_ADAPTER_KEY), else a fresh random one (48 hex characters, 192 bits).
   */
  register(job: MeteredJob, key?: string): string;
  /** Forgets a key: later calls with it get 401. Idempotent. */
  unregister(key: string): void;
}

/**
 * The adapter's money port over the shared Ledger (DESIGN.md, money rules): every call is one
 * `meteredCall` (src/adapter/metered-call.ts) charged to the key's job. `clock` (epoch ms) picks
 * time-of-day prices (DeepSeek's off-peak rates); `newKey` is for tests.
 */
export function createLedgerMeter(
  ledger: Ledger,
  prices: PriceBook,
  clock: () => number = Date.now,
  newKey: () => string = () => randomBytes(24).toString('hex'),
): LedgerMeter {
  const jobs = new Map<string, MeteredJob>();
  return {
    register(job, key = newKey()) {
      jobs.set(key, job);
      return key;
    },
    unregister(key) {
      jobs.delete(key);
    },
    authorize(key) {
      return key ? jobs.get(key) : undefined;
    },
    call(job, spec, metrics, send) {
      return meteredCall({ ledger, prices, clock, metrics }, { ...spec, jobId: job.jobId, signal: job.signal }, send);
    },
  };
}
