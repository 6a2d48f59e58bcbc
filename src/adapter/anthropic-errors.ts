/**
 * Anthropic error bodies (https://docs.anthropic.com/en/api/errors) and the HTTP status each
 * error type goes with. The adapter answers every failure in this shape so the Claude Code CLI
 * shows it and applies its own retry rules (it retries 408, 409, 429, 5xx and 529).
 */

/** The `error.type` values of the Anthropic API. */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

/** `{ type: "error", error: { type, message } }`, the body of every Anthropic error response and `event: error`. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/** An error ready to answer: HTTP status, body, and extra headers (retry-after, x-should-retry). */
export interface AnthropicHttpError {
  status: number;
  body: AnthropicErrorBody;
  headers: Record<string, string>;
}

/** The body for an error type and message. */
export function anthropicError(type: AnthropicErrorType, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message } };
}

/** Anthropic error type for an upstream HTTP status: 400/422 invalid request, 401, 403, 404, 413, 429, 529, other 5xx api_error. */
export function errorTypeForStatus(status: number): AnthropicErrorType {
  switch (status) {
    case 400:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** What the adapter knows of a failed upstream call: status (undefined for network errors), message, response headers. */
export interface UpstreamFailure {
  status?: number;
  message: string;
  headers?: { get(name: string): string | null };
}

/**
 * The Anthropic answer for a failed upstream call. The status is kept (network errors and
 * timeouts become 502/504 api_error) and retry-after is forwarded, so the CLI's own retry honours
 * the gateway's wish.
 */
export function fromUpstreamFailure(f: UpstreamFailure): AnthropicHttpError {
  const status = f.status ?? (/timed? ?out/i.test(f.message) ? 504 : 502);
  const headers: Record<string, string> = {};
  for (const name of ['retry-after', 'retry-after-ms']) {
    const value = f.headers?.get(name);
    if (value) headers[name] = value;
  }
  const prefix = f.status === undefined ? 'upstream unreachable: ' : `upstream ${status}: `;
  return { status, body: anthropicError(errorTypeForStatus(status), prefix + f.message), headers };
}
