import { randomBytes } from 'node:crypto';
import type { Micros } from '../core/money';
import { UnknownPriceError, type PriceBook } from '../core/pricing';
import type { Ledger } from '../ledger/ledger';
import type { Meter, MeteredJob, MeterHold } from './meter';

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
 * The adapter's money port over the shared Ledger (DESIGN.md, money rules).
 * - reserve: prices the worst case (`prices.worstCase(model, inputTokensBound, maxOutputTokens)`,
 *   µUSD rounded up) and holds it with `ledger.reserve`; throws BudgetExceededError from the
 *   ledger or UnknownPriceError from the price book, and then nothing is held.
 * - settle: writes the real cost (`prices.cost(model, usage)`) with `ledger.settle`. If the model
 *   that served the call has no price (a fallback's renamed model), the held worst case is charged.
 * - release: `ledger.release`, for a call that never went out.
 * `clock` (epoch ms) picks time-of-day prices (DeepSeek's off-peak rates); `newKey` is for tests.
 */
export function createLedgerMeter(
  ledger: Ledger,
  prices: PriceBook,
  clock: () => number = Date.now,
  newKey: () => string = () => randomBytes(24).toString('hex'),
): LedgerMeter {
  const jobs = new Map<string, MeteredJob>();
  const held = new Map<string, Micros>();
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
    async reserve(job, model, inputTokensBound, maxOutputTokens): Promise<MeterHold> {
      const micros = prices.worstCase(model, inputTokensBound, maxOutputTokens, new Date(clock()));
      const reservation = await ledger.reserve({ jobId: job.jobId, model, micros, signal: job.signal });
      held.set(reservation.id, micros);
      return { id: reservation.id };
    },
    async settle(hold, model, usage, info) {
      let costMicros: Micros;
      try {
        costMicros = prices.cost(model, usage, new Date(clock()));
      } catch (err) {
        if (!(err instanceof UnknownPriceError)) throw err;
        costMicros = held.get(hold.id) ?? 0;
      }
      await ledger.settle(hold.id, { model, usage, costMicros, status: info.status, latencyMs: info.latencyMs, route: info.route });
      held.delete(hold.id);
      return costMicros;
    },
    async release(hold) {
      await ledger.release(hold.id);
      held.delete(hold.id);
    },
  };
}
