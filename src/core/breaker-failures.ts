import { ConsecutiveBreaker } from 'cockatiel';

/**
 * Counts consecutive upstream failures in one process with cockatiel's ConsecutiveBreaker (the
 * counting half of its CircuitBreakerPolicy). The other half — open, cooldown, half-open trial —
 * is not cockatiel's in-memory policy but the shared ledger record (src/core/breaker.ts), because
 * the breaker must hold across processes; the semantics mirror CircuitBreakerPolicy's: after
 * `halfOpenAfter` (BREAKER_COOLDOWN_MS) one call is let through, its success closes the circuit
 * and its failure opens it again.
 */
export class FailureStreak {
  private readonly counter: ConsecutiveBreaker;

  /** `threshold`: failures in a row that trip (an integer ≥ 1). Throws RangeError otherwise. */
  constructor(readonly threshold: number) {
    if (!Number.isSafeInteger(threshold) || threshold < 1)
      throw new RangeError(`failure threshold must be an integer ≥ 1, got ${threshold}`);
    this.counter = new ConsecutiveBreaker(threshold);
  }

  /** Failures in a row so far. */
  get count(): number {
    return this.counter.state;
  }

  /** A call succeeded: the streak ends. */
  success(): void {
    this.counter.success();
  }

  /** A call failed. Returns true when the streak reached the threshold; the count then starts over. */
  failure(): boolean {
    const trips = this.counter.failure();
    if (trips) this.counter.state = 0;
    return trips;
  }
}

/**
 * Whether an upstream error counts as a failure of the provider (not of the request): no HTTP
 * status (network error, timeout), 408, 429 or 5xx — after the upstream client's own retries and
 * fallback. A request the caller aborted is not a failure.
 */
export function isUpstreamFailure(err: unknown, aborted: boolean): boolean {
  if (aborted) return false;
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status !== 'number') return true;
  return status === 408 || status === 429 || status >= 500;
}
