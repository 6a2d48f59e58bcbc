import { FailureStreak, isUpstreamFailure } from '../core/breaker-failures';
import { resetHint, type BreakerRecord } from '../core/breaker';
import type { BreakerView, CostPoll } from '../core/breaker-report';
import { costTrip, type CostRule } from '../core/provider-costs';

export type { BreakerView, CostPoll } from '../core/breaker-report';
import { usdToMicros } from '../core/money';
import type { AnthropicGateway } from '../adapter/anthropic-gateway';
import type { Ledger } from '../ledger/ledger';
import { fetchProviderCosts, type CostSource } from './cost-poller';

/** Options of the breaker service; the ledger holds the state, this holds the per-process parts. */
export interface BreakerServiceOptions {
  ledger: Pick<Ledger, 'breakerStatus' | 'tripBreaker' | 'resetBreaker'> & {
    settledBetween(startMs: number, endMs: number): Promise<number>;
  };
  failureThreshold: number;
  cooldownMs: number;
  /** The provider's cost data; undefined disables the cost rule. */
  costs?: CostSource & { rule: CostRule; driftUsd: number };
  clock?: () => number;
  log?: (line: string) => void;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The breaker's operations in one process: status for the surfaces, manual trip/reset, the
 * provider-cost poll, and the upstream-failure count (cockatiel's ConsecutiveBreaker via
 * FailureStreak). The state itself is the ledger's row, so every process sees one breaker.
 */
export class BreakerService {
  private readonly streak: FailureStreak;
  private readonly clock: () => number;
  private lastPoll: CostPoll | null = null;

  constructor(private readonly opts: BreakerServiceOptions) {
    this.streak = new FailureStreak(opts.failureThreshold);
    this.clock = opts.clock ?? Date.now;
  }

  /** The breaker as every process sees it, with what would reset it. */
  async status(): Promise<BreakerView> {
    const r = await this.opts.ledger.breakerStatus(new Date(this.clock()));
    return {
      state: r.state,
      tripped: r.state !== 'closed',
      reason: r.reason,
      detail: r.detail,
      since: iso(r.since),
      until: iso(r.until),
      reset: resetHint(r.reason),
      last_cost_poll: this.lastPoll,
    };
  }

  /** Manual trip: nothing new is admitted anywhere until a manual reset. */
  trip(detail = 'tripped by hand'): Promise<BreakerRecord> {
    return this.opts.ledger.tripBreaker({ reason: 'manual', detail });
  }

  /** Manual reset: closes the breaker (a cap still reached re-opens it at once). */
  reset(): Promise<BreakerRecord> {
    this.streak.success();
    return this.opts.ledger.resetBreaker();
  }

  /** True when the provider-cost rule is configured (an admin key is set). */
  get pollsCosts(): boolean {
    return this.opts.costs !== undefined;
  }

  /**
   * Polls the provider's costs for today and yesterday (UTC) once and applies the cost rule:
   * trips with reason provider_cost, or clears an earlier provider_cost trip. On any API or
   * network error the breaker is left as it was and the error is returned (and logged).
   */
  async pollCosts(): Promise<CostPoll> {
    const costs = this.opts.costs;
    const at = new Date(this.clock()).toISOString();
    if (!costs) return (this.lastPoll = { ok: false, at, error: 'no OPENAI_ADMIN_KEY: the provider-cost rule is off' });
    try {
      const provider = await fetchProviderCosts(costs, this.clock());
      const ledger = await this.opts.ledger.settledBetween(provider.startMs, provider.endMs);
      const detail = costTrip(costs.rule, provider.totalMicros, ledger, usdToMicros(costs.driftUsd));
      if (detail) await this.opts.ledger.tripBreaker({ reason: 'provider_cost', detail });
      else await this.opts.ledger.resetBreaker('provider_cost');
      this.lastPoll = {
        ok: true,
        at,
        provider_usd: provider.totalMicros / 1e6,
        ledger_usd: ledger / 1e6,
        rule: costs.rule,
        tripped: detail !== null,
        detail,
      };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.opts.log?.(`breaker: cost poll failed, state unchanged: ${error}`);
      this.lastPoll = { ok: false, at, error };
    }
    return this.lastPoll;
  }

  /** Polls every `intervalMs` (first poll at once) until the returned stop function is called. */
  startPolling(intervalMs: number): () => void {
    if (!this.pollsCosts) return () => undefined;
    void this.pollCosts();
    const timer = setInterval(() => void this.pollCosts(), intervalMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /** An upstream call succeeded: the streak ends, and a half-open breaker (its trial) closes. */
  async recordSuccess(): Promise<void> {
    this.streak.success();
    const r = await this.opts.ledger.breakerStatus(new Date(this.clock()));
    if (r.state === 'half-open' && r.reason === 'upstream_failures')
      await this.opts.ledger.resetBreaker('upstream_failures');
  }

  /** An upstream call failed: BREAKER_FAILURES in a row, or a failed half-open trial, open the breaker for the cooldown. */
  async recordFailure(err: unknown): Promise<void> {
    const r = await this.opts.ledger.breakerStatus(new Date(this.clock()));
    const trial = r.state === 'half-open' && r.reason === 'upstream_failures';
    if (!this.streak.failure() && !trial) return;
    const why = err instanceof Error ? err.message : String(err);
    const detail = trial
      ? `the half-open trial call failed: ${why}`
      : `${this.opts.failureThreshold} upstream calls failed in a row, last: ${why}`;
    await this.opts.ledger.tripBreaker({
      reason: 'upstream_failures',
      detail: detail.slice(0, 300),
      until: this.clock() + this.opts.cooldownMs,
    });
  }

  /**
   * Wraps an upstream's calls so their outcome feeds the failure count: a call counts when its
   * promise settles (for streams: when the headers arrived). Errors pass through unchanged;
   * aborted calls and client errors (4xx but 408/429) are not failures.
   */
  guard<
    U extends {
      complete(p: never, s?: AbortSignal, ...rest: never[]): Promise<unknown>;
      stream(p: never, s?: AbortSignal, ...rest: never[]): Promise<unknown>;
    },
  >(upstream: U): U {
    const watch = async <T>(call: Promise<T>, signal?: AbortSignal): Promise<T> => {
      try {
        const out = await call;
        await this.recordSuccess().catch(() => undefined);
        return out;
      } catch (err) {
        if (isUpstreamFailure(err, signal?.aborted ?? false)) await this.recordFailure(err).catch(() => undefined);
        throw err;
      }
    };
    // Every argument goes through: the per-attempt hooks (WORKER_METRICS_FILE) and the body encoder ride after the signal.
    return {
      ...upstream,
      complete: (p: never, s?: AbortSignal, ...rest: never[]) => watch(upstream.complete(p, s, ...rest), s),
      stream: (p: never, s?: AbortSignal, ...rest: never[]) => watch(upstream.stream(p, s, ...rest), s),
    } as U;
  }

  /**
   * The same for a gateway that speaks Anthropic (USE_OPENAI_ADAPTER=0), whose answers come back
   * whatever their status: a /v1/messages call counts when its headers arrived, a 408, 429 or 5xx
   * answer or a connection error is a failure, an abort is not; count_tokens does not count.
   */
  guardGateway(gateway: AnthropicGateway): AnthropicGateway {
    return {
      ...gateway,
      post: async (path, search, body, headers, signal) => {
        if (path !== '/v1/messages') return gateway.post(path, search, body, headers, signal);
        try {
          const res = await gateway.post(path, search, body, headers, signal);
          const failure = { status: res.status, message: `the Anthropic gateway answered HTTP ${res.status}` };
          if (res.status >= 200 && res.status < 300) await this.recordSuccess().catch(() => undefined);
          else if (isUpstreamFailure(failure, false))
            await this.recordFailure(new Error(failure.message)).catch(() => undefined);
          return res;
        } catch (err) {
          if (isUpstreamFailure(err, signal?.aborted ?? false)) await this.recordFailure(err).catch(() => undefined);
          throw err;
        }
      },
    };
  }
}
