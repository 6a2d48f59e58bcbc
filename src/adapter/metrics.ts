import { appendFile } from 'node:fs/promises';
import { microsToUsd, type Micros } from '../core/money';
import { redactValue } from '../core/redact';
import type { Usage } from '../core/usage';
import type { Route } from './upstream';

/**
 * One line of WORKER_METRICS_FILE: one upstream attempt (a retried or failed attempt gets its own
 * line with zero tokens and cost). Times are epoch ms; `time` is ISO 8601 UTC.
 */
export interface MetricsRecord {
  time: string;
  job: string;
  route: Route;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cost_micros: Micros;
  cost_usd: number;
  latency_ms: number;
  /** 'ok', 'usage_missing', or an error label: http_429, timeout, network_error, aborted, stream_error. */
  status: string;
}

/** What the adapter reports per attempt; the sink adds time and USD. */
export interface AttemptMetrics {
  job: string;
  route: Route;
  model: string;
  usage: Usage;
  costMicros: Micros;
  latencyMs: number;
  status: string;
}

/** Where per-attempt metrics go. `flush` resolves once every line recorded so far is written. */
export interface MetricsSink {
  record(m: AttemptMetrics): void;
  flush(): Promise<void>;
}

/** A sink that drops everything (WORKER_METRICS_FILE unset). */
export const NO_METRICS: MetricsSink = { record() {}, flush: async () => {} };

/** Options of createMetricsFile. */
export interface MetricsFileOptions {
  /** Known secrets (API keys, adapter keys) masked in every line, on top of redact()'s key shapes. */
  secrets?: () => readonly (string | undefined)[];
  /** Epoch ms for `time`. Default Date.now. */
  clock?: () => number;
  /** Write failures (the call itself never fails because of metrics). */
  log?: (line: string) => void;
}

/**
 * WORKER_METRICS_FILE: appends one JSON line per upstream attempt to `path` (created if missing),
 * in the order recorded, off the request's hot path (writes are chained, never awaited by the
 * call). Every line goes through redact(): no prompt text is written, and a key that found its way
 * into a model name or status would be masked.
 */
export function createMetricsFile(path: string, opts: MetricsFileOptions = {}): MetricsSink {
  const clock = opts.clock ?? Date.now;
  let chain: Promise<void> = Promise.resolve();
  return {
    record(m) {
      const line: MetricsRecord = {
        time: new Date(clock()).toISOString(),
        job: m.job,
        route: m.route,
        model: m.model,
        input_tokens: m.usage.input_tokens,
        output_tokens: m.usage.output_tokens,
        cache_read_tokens: m.usage.cache_read_tokens,
        cost_micros: m.costMicros,
        cost_usd: microsToUsd(m.costMicros),
        latency_ms: m.latencyMs,
        status: m.status,
      };
      const text = `${JSON.stringify(redactValue(line, opts.secrets?.() ?? []))}\n`; // redacted as values: the line stays valid JSON
      chain = chain
        .then(() => appendFile(path, text, 'utf8'))
        .catch((err: unknown) =>
          opts.log?.(`adapter: metrics file ${path}: ${err instanceof Error ? err.message : String(err)}`),
        );
    },
    flush: () => chain,
  };
}
