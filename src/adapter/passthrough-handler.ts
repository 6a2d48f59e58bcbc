import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { redactValue } from '../core/redact';
import { promptTokensUpperBound } from '../core/token-bound';
import { ZERO_USAGE } from '../core/usage';
import { anthropicError } from './anthropic-errors';
import type { AnthropicGateway, GatewayResponse } from './anthropic-gateway';
import { AnthropicRequestSchema, parseAnthropic } from './anthropic-schema';
import { AnthropicStreamUsage, hasUsage, usageFromAnthropic } from './anthropic-usage';
import { statusLabel, type OpenCall } from './metered-call';
import { drained, NO_RETRY, refusal, sendError, upstreamError, type MessagesDeps } from './messages-handler';
import type { MeteredJob } from './meter';
import { encodeSse } from './translate-stream';
import { resolveModel } from './translate-request';

/** What the pass-through needs: the translated path's deps, with the Anthropic-compatible gateway instead of the OpenAI upstream. */
export type PassthroughDeps = Omit<MessagesDeps, 'upstream' | 'newMessageId' | 'pingIntervalMs'> & {
  gateway: AnthropicGateway;
};

/** Request headers of the client passed on to the gateway (the key is the gateway's own, never the client's). */
const FORWARDED_REQUEST_HEADERS = ['anthropic-version', 'anthropic-beta', 'accept'];
/** Response headers of the gateway passed on to the client; the body is passed on byte for byte. */
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'request-id',
  'retry-after',
  'retry-after-ms',
  'x-should-retry',
];

/**
 * POST /v1/messages when USE_OPENAI_ADAPTER=0: the request goes to the Anthropic-compatible
 * gateway as the client sent it, except for what the money and secret rules require — `model`
 * resolved to the job's gateway model as in the translated path (Claude names and aliases), and
 * `max_tokens` clamped by PER_JOB_TOKEN_LIMIT and the model's limit; configured secrets and key
 * shapes masked in every string (README, Security). Query string and the anthropic-version and
 * anthropic-beta headers go along. One meteredCall: the worst case (input bound of system, tools
 * and messages; the clamped max_tokens) is reserved before anything is sent; the gateway's status,
 * headers and body come back unchanged, streaming or not; the call is settled from Anthropic's
 * usage fields (a Message's `usage`; message_start's and message_delta's on a stream), from an
 * estimate that cannot undercount when there are none (status `usage_missing`), to zero for a
 * gateway error (`http_<status>`), and to the partial usage when the client leaves or the job is
 * cancelled (the gateway request is aborted). Never rejects.
 */
export function handlePassthrough(
  deps: PassthroughDeps,
  job: MeteredJob,
  body: unknown,
  search: string,
  headers: IncomingHttpHeaders,
  res: ServerResponse,
  clientGone: AbortSignal,
): Promise<void> {
  const parsed = parseAnthropic(AnthropicRequestSchema, body);
  if (!parsed.ok) {
    sendError(res, { status: 400, body: anthropicError('invalid_request_error', parsed.message), headers: NO_RETRY });
    return Promise.resolve();
  }
  const model = resolveModel(parsed.value.model, job.model);
  const maxTokens = Math.max(
    1,
    Math.min(parsed.value.max_tokens, deps.perJobTokenLimit, deps.modelOutputLimits[model] ?? Infinity),
  );
  // The client's object, not zod's: fields the schema does not know go along unchanged.
  const outbound: Record<string, unknown> = redactValue(
    { ...(body as Record<string, unknown>), model, max_tokens: maxTokens },
    deps.secrets?.() ?? [],
  );
  const bound = promptTokensUpperBound({
    messages: [{ system: outbound.system ?? '' }, ...(outbound.messages as object[])],
    tools: outbound.tools as unknown[] | undefined,
  });
  const forward: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const v = headers[name];
    if (typeof v === 'string') forward[name] = v;
  }
  forward['anthropic-version'] ??= '2023-06-01';
  const call: Passthrough = {
    deps,
    job,
    model,
    bound,
    maxTokens,
    bytes: Buffer.from(JSON.stringify(outbound)),
    search,
    forward,
  };
  return run(call, res, clientGone);
}

interface Passthrough {
  deps: PassthroughDeps;
  job: MeteredJob;
  model: string;
  /** Input tokens, upper bound. */
  bound: number;
  /** max_tokens as sent (clamped). */
  maxTokens: number;
  /** The request as sent, serialized once. */
  bytes: Buffer;
  search: string;
  forward: Record<string, string>;
}

async function run(p: Passthrough, res: ServerResponse, clientGone: AbortSignal): Promise<void> {
  const signal = p.job.signal ? AbortSignal.any([clientGone, p.job.signal]) : clientGone;
  let sent = false;
  try {
    await p.deps.meter.call(
      p.job,
      { model: p.model, inputTokensBound: p.bound, maxOutputTokens: p.maxTokens },
      p.deps.metrics,
      async (open) => {
        sent = true;
        let up: GatewayResponse;
        try {
          up = await p.deps.gateway.post('/v1/messages', p.search, p.bytes, p.forward, signal);
        } catch (err) {
          await open.fail(err, signal);
          return sendError(res, upstreamError(err));
        }
        if (up.status < 200 || up.status >= 300) return gatewayError(p, open, up, res);
        // By what came back, not what was asked: a gateway that answers a stream request with one JSON message is billed from it.
        if (/^text\/event-stream/i.test(String(up.headers['content-type'] ?? '')))
          await passStream(p, open, up, res, signal);
        else await passMessage(p, open, up, res, signal);
      },
    );
  } catch (err) {
    if (!sent) return sendError(res, refusal(p.deps, p.job, err));
    p.deps.log(
      `adapter: job ${p.job.jobId} pass-through call failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    if (!res.headersSent)
      sendError(res, { status: 500, body: anthropicError('api_error', 'Offload adapter error'), headers: {} });
    else res.end();
  }
}

/** The gateway's headers worth passing on (FORWARDED_RESPONSE_HEADERS). */
function responseHeaders(up: GatewayResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const v = up.headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

async function readAll(up: GatewayResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) chunks.push(chunk);
  } finally {
    up.finish();
  }
  return Buffer.concat(chunks);
}

/** A gateway error (non-2xx): passed on as it came, the call settled to zero tokens as `http_<status>`. */
async function gatewayError(p: Passthrough, open: OpenCall, up: GatewayResponse, res: ServerResponse): Promise<void> {
  let raw: Buffer;
  try {
    raw = await readAll(up);
  } catch (err) {
    await open.fail(err);
    return sendError(res, upstreamError(err));
  }
  if (!res.destroyed) {
    res.writeHead(up.status, responseHeaders(up));
    res.end(raw);
  }
  await open.settle({ model: p.model, usage: ZERO_USAGE, status: `http_${up.status}`, route: 'primary' });
}

/** A non-streaming answer: the body goes out as received, then the call is settled from its `usage`. */
async function passMessage(
  p: Passthrough,
  open: OpenCall,
  up: GatewayResponse,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  let raw: Buffer;
  try {
    raw = await readAll(up);
  } catch (err) {
    await open.fail(err, signal);
    return sendError(res, upstreamError(err));
  }
  if (!res.destroyed) {
    res.writeHead(up.status, responseHeaders(up));
    res.end(raw);
  }
  let message: { usage?: unknown; content?: unknown } | undefined;
  try {
    message = JSON.parse(raw.toString('utf8'));
  } catch {
    message = undefined;
  }
  if (hasUsage(message?.usage))
    return void (await open.settle({
      model: p.model,
      usage: usageFromAnthropic(message.usage),
      status: 'ok',
      route: 'primary',
    }));
  // No usage: the input bound, and one output token per byte of the answer (its whole body: cannot undercount its content).
  const usage = { input_tokens: p.bound, output_tokens: raw.length, cache_read_tokens: 0 };
  p.deps.log(
    `adapter: no usage from the Anthropic gateway; settling the estimate ${usage.input_tokens} in / ${usage.output_tokens} out`,
  );
  await open.settle({ model: p.model, usage, status: 'usage_missing', route: 'primary' });
}

/**
 * A stream: every chunk goes out as received (waiting for `drain` when the client is slow) and is
 * watched for usage. When it ends, breaks, or the client leaves (the gateway request is aborted),
 * the call is settled from what the stream reported (AnthropicStreamUsage). A break after the
 * headers ends the stream with an Anthropic `event: error`.
 */
async function passStream(
  p: Passthrough,
  open: OpenCall,
  up: GatewayResponse,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  up.stopTimeout(); // the timeout runs until the headers only: a stream may take as long as the model writes
  const watch = new AnthropicStreamUsage();
  res.writeHead(up.status, responseHeaders(up));
  let status = 'ok';
  try {
    for await (const chunk of up.body as AsyncIterable<Buffer>) {
      watch.feed(chunk);
      if (!res.destroyed && !res.write(chunk)) await drained(res, signal);
      if (signal.aborted) throw signal.reason;
    }
  } catch (err) {
    status = statusLabel(err, signal);
    if (!up.body.destroyed) up.body.destroy();
    const message =
      status === 'aborted'
        ? 'Offload: the request was cancelled'
        : `upstream stream failed: ${err instanceof Error ? err.message : String(err)}`;
    if (!res.destroyed) res.write(encodeSse({ event: 'error', data: anthropicError('api_error', message) }));
  } finally {
    up.finish();
    res.end();
  }
  const { usage, reported } = watch.usage(p.bound);
  if (!reported) {
    if (status === 'ok') status = 'usage_missing';
    p.deps.log(
      `adapter: no usage from the Anthropic gateway (${status}); settling the estimate ${usage.input_tokens} in / ${usage.output_tokens} out`,
    );
  }
  await open.settle({ model: p.model, usage, status, route: 'primary' });
}

/**
 * POST /v1/messages/count_tokens when USE_OPENAI_ADAPTER=0: asks the gateway (free, not metered;
 * the request redacted and its model resolved as for /v1/messages) and passes a 2xx answer on
 * unchanged ('sent'). Resolves 'unsupported' (the gateway has no such route: 404, 405) or
 * 'failed' (another status, or unreachable), having sent nothing: the caller counts itself then.
 */
export async function passCountTokens(
  deps: Pick<PassthroughDeps, 'gateway' | 'secrets' | 'log'>,
  job: MeteredJob,
  body: Record<string, unknown>,
  search: string,
  headers: IncomingHttpHeaders,
  res: ServerResponse,
): Promise<'sent' | 'unsupported' | 'failed'> {
  const outbound = redactValue({ ...body, model: resolveModel(String(body.model), job.model) }, deps.secrets?.() ?? []);
  const forward: Record<string, string> = {
    'anthropic-version': typeof headers['anthropic-version'] === 'string' ? headers['anthropic-version'] : '2023-06-01',
  };
  if (typeof headers['anthropic-beta'] === 'string') forward['anthropic-beta'] = headers['anthropic-beta'];
  let up: GatewayResponse;
  let raw: Buffer;
  try {
    up = await deps.gateway.post('/v1/messages/count_tokens', search, Buffer.from(JSON.stringify(outbound)), forward);
    raw = await readAll(up);
  } catch (err) {
    deps.log(
      `adapter: count_tokens at the Anthropic gateway failed, counting here: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 'failed';
  }
  if (up.status === 404 || up.status === 405) return 'unsupported';
  if (up.status < 200 || up.status >= 300) return 'failed';
  if (!res.destroyed) {
    res.writeHead(up.status, responseHeaders(up));
    res.end(raw);
  }
  return 'sent';
}
