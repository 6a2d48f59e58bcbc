import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { Micros } from '../core/money';
import { UnknownPriceError, type PriceBook } from '../core/pricing';
import { ZERO_USAGE, type Usage } from '../core/usage';
import type { Ledger } from '../ledger/ledger';
import type { MetricsSink } from './metrics';
import { routeOfError, type CallHooks, type Route } from './upstream';

/** What metering needs: the shared ledger, the price book, a clock (epoch ms) and where metrics lines go. */
export interface MeteringDeps {
  ledger: Pick<Ledger, 'reserve' | 'settle' | 'release'>;
  prices: PriceBook;
  /** Epoch ms. Prices the worst case at the reservation's instant and the real cost at the settle's instant (time-of-day prices). */
  clock: () => number;
  /** One line per upstream attempt (WORKER_METRICS_FILE); NO_METRICS when unset. */
  metrics: MetricsSink;
}

/** One paid call to meter: the job it is charged to and its worst case in tokens. */
export interface CallSpec {
  jobId: string;
  /** The model the request asks the gateway for (priced for the reservation). */
  model: string;
  /** Upper bound of the request's input tokens (core/token-bound.ts). */
  inputTokensBound: number;
  /** The request's max_tokens, already clamped (PER_JOB_TOKEN_LIMIT, the model's limit). */
  maxOutputTokens: number;
  /** Cancels the wait for an in-flight slot (the job was cancelled); reserve then throws and holds nothing. */
  signal?: AbortSignal;
}

/** How a call ended: the model that served it, its usage in tokens, a status label and the gateway that answered. */
export interface CallOutcome {
  model: string;
  usage: Usage;
  /** 'ok', 'usage_missing', 'unrecognised', or statusLabel() of an error. */
  status: string;
  route: Route;
}

/** A reserved call, handed to the code that sends it. */
export interface OpenCall {
  /** The worst case held, µUSD. */
  readonly micros: Micros;
  /** Give these to the upstream: every failed attempt (a retry follows) becomes a metrics line with zero tokens and cost. */
  readonly hooks: CallHooks;
  /**
   * Settles the call to its real usage once (later calls return the first cost): cost = prices.cost(model, usage) at the
   * clock's instant, or the held worst case when the serving model has no price (a fallback's renamed model). Writes the
   * call's metrics line (latency from the reservation to now). Resolves with the cost charged, µUSD.
   */
  settle(outcome: CallOutcome): Promise<Micros>;
  /** Settles a call whose request went out and failed (an upstream error): zero tokens, statusLabel(err), its route. */
  fail(err: unknown, signal?: AbortSignal): Promise<Micros>;
}

/**
 * Every paid upstream call, under the money rules (DESIGN.md): reserves the worst case
 * (`prices.worstCase(model, inputTokensBound, maxOutputTokens)` at `clock()`, µUSD rounded up) with
 * `ledger.reserve`, runs `send` with the open call, and releases the reservation if `send` ended
 * (returned or threw) without settling: a call that never went out costs nothing. Used by the
 * adapter's meter (one per agent request) and by metered-chat (run_job, queue_batch, analyze).
 * Throws BudgetExceededError (src/core/budget.ts) or UnknownPriceError before `send` runs (nothing
 * is held then), else whatever `send` throws.
 */
export async function meteredCall<T>(
  deps: MeteringDeps,
  spec: CallSpec,
  send: (call: OpenCall) => Promise<T>,
): Promise<T> {
  const micros = deps.prices.worstCase(spec.model, spec.inputTokensBound, spec.maxOutputTokens, new Date(deps.clock()));
  const reservation = await deps.ledger.reserve({ jobId: spec.jobId, model: spec.model, micros, signal: spec.signal });
  const started = deps.clock();
  let settled: Promise<Micros> | undefined;
  const settle = (o: CallOutcome): Promise<Micros> =>
    (settled ??= settleOnce(deps, spec.jobId, reservation.id, micros, started, o));
  const call: OpenCall = {
    micros,
    hooks: {
      onFailedAttempt: (a) =>
        deps.metrics.record({
          job: spec.jobId,
          route: a.route,
          model: a.model,
          usage: ZERO_USAGE,
          costMicros: 0,
          latencyMs: a.latencyMs,
          status: statusLabel(a.error),
        }),
    },
    settle,
    fail: (err, signal) =>
      settle({
        model: spec.model,
        usage: ZERO_USAGE,
        status: statusLabel(err, signal),
        route: routeOfError(err) ?? 'primary',
      }),
  };
  try {
    return await send(call);
  } finally {
    if (!settled) await deps.ledger.release(reservation.id);
  }
}

async function settleOnce(
  deps: MeteringDeps,
  jobId: string,
  reservationId: string,
  held: Micros,
  started: number,
  o: CallOutcome,
): Promise<Micros> {
  const now = deps.clock();
  let costMicros: Micros;
  try {
    costMicros = deps.prices.cost(o.model, o.usage, new Date(now));
  } catch (err) {
    if (!(err instanceof UnknownPriceError)) throw err;
    costMicros = held;
  }
  const latencyMs = now - started;
  await deps.ledger.settle(reservationId, {
    model: o.model,
    usage: o.usage,
    costMicros,
    status: o.status,
    latencyMs,
    route: o.route,
  });
  deps.metrics.record({
    job: jobId,
    route: o.route,
    model: o.model,
    usage: o.usage,
    costMicros,
    latencyMs,
    status: o.status,
  });
  return costMicros;
}

/**
 * Ledger status label of a failed call: http_<status>, timeout, network_error, aborted,
 * stream_error. (A call that succeeded is 'ok', or 'usage_missing' when it was billed an estimate.)
 */
export function statusLabel(err: unknown, signal?: AbortSignal): string {
  if (err instanceof APIUserAbortError || signal?.aborted || (err instanceof Error && err.name === 'AbortError'))
    return 'aborted';
  if (err instanceof APIConnectionTimeoutError) return 'timeout';
  if (err instanceof APIConnectionError) return 'network_error';
  if (err instanceof APIError && err.status !== undefined) return `http_${err.status}`;
  return 'stream_error';
}
