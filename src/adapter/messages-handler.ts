import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { BudgetExceededError } from '../core/budget';
import { UnknownPriceError } from '../core/pricing';
import { promptTokensUpperBound, utf8ByteLength } from '../core/token-bound';
import { usageFromOpenAI, type Usage } from '../core/usage';
import { anthropicError, fromUpstreamFailure, type AnthropicHttpError } from './anthropic-errors';
import { AnthropicRequestSchema, parseAnthropic } from './anthropic-schema';
import { Heartbeat } from './heartbeat';
import type { Meter, MeteredJob } from './meter';
import { statusLabel, type OpenCall } from './metered-call';
import type { MetricsSink } from './metrics';
import { resolveModel, translateRequest, type TranslatedRequest } from './translate-request';
import { redactValue } from '../core/redact';
import { translateResponse, UnrecognisedResponseError, type AnthropicMessage } from './translate-response';
import { encodeSse, PING, StreamTranslator, type AnthropicStreamEvent } from './translate-stream';
import type { Route, Upstream } from './upstream';

/** What POST /v1/messages needs; built once by startAdapterServer. Times are epoch ms. */
export interface MessagesDeps {
  meter: Meter;
  upstream: Upstream;
  perJobTokenLimit: number;
  modelOutputLimits: Record<string, number>;
  log: (line: string) => void;
  onBudgetExceeded: (jobId: string, err: Error) => void;
  clock: () => number;
  newMessageId: () => string;
  /** One line per upstream attempt (WORKER_METRICS_FILE). */
  metrics: MetricsSink;
  /** A `ping` event goes out after this long without any other event on a stream (0: never). */
  pingIntervalMs: number;
  /** The configured secrets: masked, with key shapes, in every request before it goes upstream. */
  secrets?: () => readonly (string | undefined)[];
}

/** An answer the handler sends instead of calling upstream (bad request, budget refusal). */
type Refusal = AnthropicHttpError;

// x-should-retry: false stops the Anthropic SDK inside Claude Code from retrying a refusal.
export const NO_RETRY = { 'x-should-retry': 'false' };

/**
 * POST /v1/messages for an authorized job: validate, translate, reserve the worst case, call the
 * upstream, translate back, settle the real usage. The reservation is released (meteredCall) if it was
 * never settled. `clientGone` aborts when the client disconnects; the job's own signal (cancel)
 * aborts too. Never rejects: every failure is answered in Anthropic's error shape.
 */
export function handleMessages(
  deps: MessagesDeps,
  job: MeteredJob,
  body: unknown,
  res: ServerResponse,
  clientGone: AbortSignal,
): Promise<void> {
  // Synchronous, so that no suspended frame keeps the parsed body: once the translated request is sent (Prepared.params), only
  // its serialized bytes stay for the rest of the call (memory per in-flight stream, BENCHMARKS.md).
  const prepared = prepare(deps, job, body);
  if ('refusal' in prepared) {
    sendError(res, prepared.refusal);
    return Promise.resolve();
  }
  return run(deps, job, prepared, res, clientGone);
}

/** A validated, translated, redacted and bounded request. `params` is the request to send, taken (and cleared) by `send`. */
interface Prepared {
  tr: Omit<TranslatedRequest, 'params'> & { stream: boolean; stop: string[] | undefined };
  params: ChatCompletionCreateParams | undefined;
  bound: number;
}

function prepare(deps: MessagesDeps, job: MeteredJob, body: unknown): Prepared | { refusal: Refusal } {
  const parsed = parseAnthropic(AnthropicRequestSchema, body);
  if (!parsed.ok)
    return {
      refusal: { status: 400, body: anthropicError('invalid_request_error', parsed.message), headers: NO_RETRY },
    };
  const request = parsed.value;
  const { params, ...tr } = translateRequest(request, {
    gatewayModel: job.model,
    perJobTokenLimit: deps.perJobTokenLimit,
    modelOutputLimit: deps.modelOutputLimits[resolveModel(request.model, job.model)],
  });
  // Outbound redaction (README, Security), on the translated values.
  const redacted = redactValue(params, deps.secrets?.() ?? []);
  return {
    tr: { ...tr, stream: redacted.stream === true, stop: (redacted as { stop?: string[] }).stop },
    params: redacted,
    bound: promptTokensUpperBound(redacted),
  };
}

async function run(
  deps: MessagesDeps,
  job: MeteredJob,
  prepared: Prepared,
  res: ServerResponse,
  clientGone: AbortSignal,
): Promise<void> {
  const { tr, bound } = prepared;
  const signal = job.signal ? AbortSignal.any([clientGone, job.signal]) : clientGone;
  let sent = false;
  try {
    await deps.meter.call(
      job,
      { model: tr.upstreamModel, inputTokensBound: bound, maxOutputTokens: tr.maxTokens },
      deps.metrics,
      async (open) => {
        sent = true;
        const call: Call = { deps, job, open, tr, bound, prepared };
        if (tr.stream) await streamCall(call, res, signal);
        else await completeCall(call, res, signal);
      },
    );
  } catch (err) {
    if (!sent) return sendError(res, refusal(deps, job, err));
    deps.log(`adapter: job ${job.jobId} call failed: ${err instanceof Error ? err.message : String(err)}`);
    if (!res.headersSent)
      sendError(res, { status: 500, body: anthropicError('api_error', 'Offload adapter error'), headers: {} });
    else res.end();
  }
}

/** The translated request, handed over once (the upstream serializes it at once and keeps only the bytes). */
function send<T>(call: Call, f: (params: ChatCompletionCreateParams) => Promise<T>): Promise<T> {
  const params = call.prepared.params;
  if (!params) throw new Error('the translated request was already sent');
  call.prepared.params = undefined;
  return f(params);
}

/**
 * A refused reservation. Budget and unknown price are answered 400 invalid_request_error with a
 * message starting "Offload budget:" / "Offload pricing:" and x-should-retry: false: Claude Code
 * retries 429 and 5xx (and would spin on a cap), but shows a 400 and ends the turn.
 */
export function refusal(deps: Pick<MessagesDeps, 'log' | 'onBudgetExceeded'>, job: MeteredJob, err: unknown): Refusal {
  if (err instanceof BudgetExceededError) {
    deps.onBudgetExceeded(job.jobId, err);
    return {
      status: 400,
      body: anthropicError('invalid_request_error', `Offload budget: ${err.message}`),
      headers: NO_RETRY,
    };
  }
  if (err instanceof UnknownPriceError)
    return {
      status: 400,
      body: anthropicError('invalid_request_error', `Offload pricing: ${err.message}`),
      headers: NO_RETRY,
    };
  deps.log(`adapter: reserve failed for job ${job.jobId}: ${String(err)}`);
  return {
    status: 500,
    body: anthropicError('api_error', `Offload ledger: ${err instanceof Error ? err.message : String(err)}`),
    headers: NO_RETRY,
  };
}

interface Call {
  deps: MessagesDeps;
  job: MeteredJob;
  open: OpenCall;
  tr: Prepared['tr'];
  prepared: Prepared;
  bound: number;
}

/** Settles the call to `usage` and writes its metrics line (meteredCall). */
async function settle(call: Call, model: string, usage: Usage, status: string, route: Route): Promise<void> {
  await call.open.settle({ model, usage, status, route });
}

/**
 * What to bill when the gateway reported no usage: an estimate that cannot undercount — the
 * request's input bound, and one output token per UTF-8 byte of output.
 */
function estimatedUsage(call: Call, outputBytes: number): Usage {
  return { input_tokens: call.bound, output_tokens: outputBytes, cache_read_tokens: 0 };
}

function outputBytesOf(message: AnthropicMessage): number {
  let n = 0;
  for (const b of message.content) {
    if (b.type === 'text') n += utf8ByteLength(b.text);
    else if (b.type === 'thinking') n += utf8ByteLength(b.thinking);
    else n += utf8ByteLength(b.name) + utf8ByteLength(JSON.stringify(b.input));
  }
  return n;
}

async function completeCall(call: Call, res: ServerResponse, signal: AbortSignal): Promise<void> {
  let served;
  try {
    served = await send(call, (p) =>
      call.deps.upstream.complete(p as ChatCompletionCreateParamsNonStreaming, signal, call.open.hooks),
    );
  } catch (err) {
    await call.open.fail(err);
    return sendError(res, upstreamError(err));
  }
  const { completion, route, model } = served;
  try {
    const { message, usage, invalidToolArguments } = translateResponse(completion, {
      requestedModel: call.tr.requestedModel,
      toolNames: call.tr.toolNames,
      stopSequences: call.tr.stop,
      id: call.deps.newMessageId(),
    });
    for (const bad of invalidToolArguments)
      call.deps.log(`adapter: tool call ${bad.id} had non-object arguments, sent {}: ${bad.raw.slice(0, 200)}`);
    // The answer goes out first: settling is off the client's latency, and it is queued on the ledger before the client's next call can reserve.
    sendJson(res, 200, message);
    if (completion.usage) await settle(call, model, usage, 'ok', route);
    else {
      const estimate = estimatedUsage(call, outputBytesOf(message));
      call.deps.log(
        `adapter: no usage from upstream; settling the estimate ${estimate.input_tokens} in / ${estimate.output_tokens} out`,
      );
      await settle(call, model, estimate, 'usage_missing', route);
    }
  } catch (err) {
    if (!(err instanceof UnrecognisedResponseError)) throw err;
    await settle(call, model, usageFromOpenAI(completion?.usage), 'unrecognised', route);
    sendError(res, { status: 502, body: anthropicError('api_error', err.message), headers: {} });
  }
}

/**
 * Streaming: SSE headers go out only once the upstream answered, so upstream errors are still
 * plain HTTP errors; message_start follows at once, then a `ping` whenever the upstream stays
 * silent for pingIntervalMs. When the stream breaks or the client leaves, the partial usage is
 * settled: the upstream's last usage if it sent any, else an estimate that cannot undercount — the
 * input bound, and one output token per streamed byte (status 'usage_missing' if it completed).
 */
async function streamCall(call: Call, res: ServerResponse, signal: AbortSignal): Promise<void> {
  let served;
  try {
    served = await send(call, (p) =>
      call.deps.upstream.stream(p as ChatCompletionCreateParamsStreaming, signal, call.open.hooks),
    );
  } catch (err) {
    await call.open.fail(err);
    return sendError(res, upstreamError(err));
  }
  const t = new StreamTranslator({
    id: call.deps.newMessageId(),
    requestedModel: call.tr.requestedModel,
    toolNames: call.tr.toolNames,
    stopSequences: call.tr.stop,
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const ping = () => void (res.destroyed || res.write(encodeSse(PING)));
  const beat = call.deps.pingIntervalMs > 0 ? new Heartbeat(call.deps.pingIntervalMs, ping) : undefined;
  let status = 'ok';
  try {
    if (!write(res, t.start(), beat)) await drained(res, signal);
    for await (const chunk of served.stream) if (!write(res, t.push(chunk), beat)) await drained(res, signal);
    if (!write(res, t.finish(), beat)) await drained(res, signal);
  } catch (err) {
    status = statusLabel(err, signal);
    const message =
      status === 'aborted'
        ? 'Offload: the request was cancelled'
        : `upstream stream failed: ${err instanceof Error ? err.message : String(err)}`;
    if (!res.destroyed) write(res, t.error(anthropicError('api_error', message)));
  } finally {
    beat?.stop();
    for (const bad of t.invalidToolArguments)
      call.deps.log(`adapter: tool call ${bad.id} had non-object arguments, sent {}: ${bad.raw.slice(0, 200)}`);
    let usage = t.usage;
    if (!usage) {
      usage = estimatedUsage(call, t.streamedBytes);
      if (status === 'ok') status = 'usage_missing';
      call.deps.log(
        `adapter: no usage from upstream (${status}); settling the estimate ${usage.input_tokens} in / ${usage.output_tokens} out`,
      );
    }
    res.end();
    await settle(call, served.model, usage, status, served.route);
  }
}

/**
 * Writes events to the stream (nothing once the client is gone). Returns false when the response
 * buffer is full: the caller waits for `drained` before translating more. Synchronous, so a chunk
 * that needs no waiting costs no promise.
 */
function write(res: ServerResponse, events: AnthropicStreamEvent[], beat?: Heartbeat): boolean {
  if (events.length === 0 || res.destroyed) return true;
  beat?.touch();
  return res.write(events.length === 1 ? encodeSse(events[0]!) : events.map(encodeSse).join(''));
}

/** Resolves on the response's 'drain'; rejects with an AbortError when `signal` aborts first. */
export async function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  await once(res, 'drain', { signal });
}

/** The Anthropic answer for an upstream call that failed before any response body went out. */
export function upstreamError(err: unknown): AnthropicHttpError {
  if (err instanceof APIUserAbortError)
    return {
      status: 400,
      body: anthropicError('invalid_request_error', 'Offload: the request was cancelled'),
      headers: NO_RETRY,
    };
  if (err instanceof APIError) {
    const inner = (err.error as { message?: unknown } | undefined)?.message;
    return fromUpstreamFailure({
      status: err.status,
      message: typeof inner === 'string' ? inner : err.message,
      headers: err.headers,
    });
  }
  return fromUpstreamFailure({ message: err instanceof Error ? err.message : String(err) });
}

/** Writes a JSON response unless the client is gone. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Writes an Anthropic error response. */
export function sendError(res: ServerResponse, e: AnthropicHttpError): void {
  sendJson(res, e.status, e.body, e.headers);
}
