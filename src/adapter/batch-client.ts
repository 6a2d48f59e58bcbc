/**
 * OpenAI's Batch API over undici (platform.openai.com/docs/guides/batch): upload a JSONL file with
 * purpose `batch` (`POST /files`, multipart), create the batch (`POST /batches`, endpoint
 * `/v1/chat/completions`, completion_window `24h`), poll it (`GET /batches/{id}`), read its output
 * and error files (`GET /files/{id}/content`), cancel it (`POST /batches/{id}/cancel`).
 * Errors are the `openai` package's, as in gateway-client.ts, so status labels read one set of classes.
 * No retries here: a poll that fails is tried again at the next poll.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { Agent, FormData, fetch } from 'undici';

/** The only endpoint Offload batches, and the only completion window OpenAI offers. */
export const BATCH_ENDPOINT = '/v1/chat/completions';
const COMPLETION_WINDOW = '24h';

/** A batch's state as OpenAI names it. `completed`, `failed`, `expired`, `cancelled` are final. */
export type BatchStatus =
  'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

/** The statuses after which a batch changes no more. */
export const FINAL_BATCH_STATUSES: readonly BatchStatus[] = ['completed', 'failed', 'expired', 'cancelled'];

/** The fields of OpenAI's batch object that Offload reads. Times are epoch seconds, as OpenAI sends them. */
export interface Batch {
  id: string;
  status: BatchStatus;
  input_file_id: string;
  output_file_id?: string | null;
  error_file_id?: string | null;
  /** Why validation failed (status `failed`): one entry per refused line. */
  errors?: { data?: { code?: string; message?: string; line?: number | null }[] } | null;
  request_counts?: { total: number; completed: number; failed: number };
}

/** One request of the batch: one line of the input JSONL. `custom_id` must be unique in the batch. */
export interface BatchRequestLine {
  custom_id: string;
  /** A chat-completions request body (its `model`, `messages`, `max_tokens`…). */
  body: Record<string, unknown>;
}

/**
 * One line of an output or error file. `response` is the upstream answer (`body` a chat completion
 * with its `usage` on a 200, OpenAI's `{error}` otherwise); `error` is set instead when the request
 * never ran (`batch_expired`, `batch_cancelled`).
 */
export interface BatchResultLine {
  custom_id: string;
  response: { status_code: number; body: unknown } | null;
  error: { code?: string; message?: string } | null;
}

/** The gateway has no Batch API: it answered 404 to `POST /batches` (DeepSeek, OneAPI, New API). */
export class NoBatchApiError extends Error {
  constructor(readonly baseURL: string) {
    super(`the gateway at ${baseURL} has no Batch API (POST /batches answered 404)`);
    this.name = 'NoBatchApiError';
  }
}

/** Options of createBatchClient: the gateway's base URL (e.g. `https://api.openai.com/v1`), its key, a per-request timeout in ms. */
export interface BatchClientOptions {
  baseURL: string;
  apiKey: string;
  timeoutMs: number;
}

/**
 * A Batch API client for one gateway. Every call throws, like gateway-client.ts: non-2xx →
 * `APIError.generate(status, body…)` (BadRequestError, NotFoundError…), unreachable or reset →
 * APIConnectionError, past `timeoutMs` → APIConnectionTimeoutError, a 2xx body that is not JSON
 * (where JSON is expected) → APIError with status 200.
 */
export interface BatchClient {
  /** Uploads `lines` as one JSONL file (each line `{custom_id, method: "POST", url, body}`); resolves with its file id. */
  upload(lines: readonly BatchRequestLine[]): Promise<string>;
  /**
   * Whether the gateway has a Batch API: `GET /batches?limit=1` answered 2xx (true) or 404 (false;
   * DeepSeek, OneAPI and New API have none). The first answer is kept. Throws the other errors.
   */
  supported(): Promise<boolean>;
  /** Creates the batch of an uploaded file. Throws NoBatchApiError when the gateway answers 404. */
  create(inputFileId: string, metadata?: Record<string, string>): Promise<Batch>;
  /** The batch now. */
  get(batchId: string): Promise<Batch>;
  /** Asks the gateway to cancel; the batch goes `cancelling`, then `cancelled` with the finished items' results kept. */
  cancel(batchId: string): Promise<Batch>;
  /** The lines of an output or error file; lines that are not JSON objects with a `custom_id` are skipped. */
  results(fileId: string): Promise<BatchResultLine[]>;
  /** Closes the pool's connections. */
  close(): void;
}

/** Creates the client; the URL is checked on the first call (a bad baseURL fails calls with TypeError). */
export function createBatchClient(opts: BatchClientOptions): BatchClient {
  let agent: Agent | undefined;
  const base = opts.baseURL.endsWith('/') ? opts.baseURL : opts.baseURL + '/';

  async function call(method: 'GET' | 'POST', path: string, body?: FormData | object): Promise<string> {
    agent ??= new Agent();
    const headers: Record<string, string> = { authorization: `Bearer ${opts.apiKey}`, 'user-agent': 'offload-batch' };
    if (body && !(body instanceof FormData)) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(new URL(path, base), {
        method,
        headers,
        body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
        dispatcher: agent,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const text = await res.text();
      if (!res.ok) throw statusError(res.status, text, res.headers);
      return text;
    } catch (err) {
      if (err instanceof APIError) throw err;
      if (err instanceof Error && err.name === 'TimeoutError') throw new APIConnectionTimeoutError();
      if (err instanceof TypeError && err.message.includes('Invalid URL')) throw err;
      throw new APIConnectionError({ cause: err instanceof Error ? err : undefined });
    }
  }
  const json = async <T>(method: 'GET' | 'POST', path: string, body?: FormData | object): Promise<T> => {
    const text = await call(method, path, body);
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object') return value as T;
    } catch {
      // reported below
    }
    throw new APIError(200, undefined, `gateway answered ${method} ${path} with a body that is not JSON`, undefined);
  };

  let supported: boolean | undefined;
  return {
    async supported() {
      if (supported === undefined) {
        try {
          await call('GET', 'batches?limit=1');
          supported = true;
        } catch (err) {
          if (!(err instanceof APIError && err.status === 404)) throw err;
          supported = false;
        }
      }
      return supported;
    },
    async upload(lines) {
      const jsonl = lines
        .map((l) => JSON.stringify({ custom_id: l.custom_id, method: 'POST', url: BATCH_ENDPOINT, body: l.body }))
        .join('\n');
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', new Blob([jsonl + '\n'], { type: 'application/jsonl' }), 'offload-batch.jsonl');
      return (await json<{ id: string }>('POST', 'files', form)).id;
    },
    async create(inputFileId, metadata) {
      try {
        return await json<Batch>('POST', 'batches', {
          input_file_id: inputFileId,
          endpoint: BATCH_ENDPOINT,
          completion_window: COMPLETION_WINDOW,
          ...(metadata ? { metadata } : {}),
        });
      } catch (err) {
        if (err instanceof APIError && err.status === 404) throw new NoBatchApiError(opts.baseURL);
        throw err;
      }
    },
    get: (batchId) => json<Batch>('GET', `batches/${encodeURIComponent(batchId)}`),
    cancel: (batchId) => json<Batch>('POST', `batches/${encodeURIComponent(batchId)}/cancel`),
    async results(fileId) {
      return parseResultLines(await call('GET', `files/${encodeURIComponent(fileId)}/content`));
    },
    close() {
      void agent?.destroy();
      agent = undefined;
    },
  };
}

/** The result lines of a JSONL file's text; blank lines and lines without a string `custom_id` are skipped. */
function parseResultLines(text: string): BatchResultLine[] {
  const out: BatchResultLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    const v = value as Partial<BatchResultLine>;
    if (typeof v.custom_id !== 'string') continue;
    out.push({ custom_id: v.custom_id, response: v.response ?? null, error: v.error ?? null });
  }
  return out;
}

/** As gateway-client.ts's: the SDK's error class for the status, the body parsed as JSON if it is JSON. */
function statusError(status: number, text: string, headers: Headers): APIError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return APIError.generate(status, parsed as object | undefined, parsed ? undefined : text, headers);
}
