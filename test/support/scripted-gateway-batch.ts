/**
 * The scripted gateway's Batch API (stand-in for the model provider), strict as OpenAI's
 * (platform.openai.com/docs/guides/batch and /docs/api-reference/batch):
 * - `POST /v1/files` is multipart with `purpose` (must be `batch` here) and a `.jsonl` `file`;
 * - `POST /v1/batches` needs an uploaded batch file's `input_file_id`, `endpoint`
 *   `/v1/chat/completions` and `completion_window` `24h` (else 400);
 * - a batch is `validating` when created; the first poll validates every line (JSON object with a
 *   unique string `custom_id`, `method` "POST", `url` equal to the endpoint, an object `body`, one
 *   `model` for all lines) and turns it `failed` with `errors` or `in_progress`;
 * - each further poll (`GET /v1/batches/{id}`) answers one more line through the script, and the
 *   poll after the last one turns it `completed` with an output file (200 answers) and an error
 *   file (the others), both JSONL `{id, custom_id, response: {status_code, request_id, body}, error}`;
 * - `POST /v1/batches/{id}/cancel` turns it `cancelling`; the next poll `cancelled`, the answered
 *   lines kept, the others written to the error file with `error.code` "batch_cancelled";
 *   `expire(id)` does the same with "batch_expired" (status `expired`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One batch line's answer: the upstream status and body (a chat completion with usage, or OpenAI's error body). */
export interface LineAnswer {
  status_code: number;
  body: object;
}

interface StoredFile {
  id: string;
  purpose: string;
  content: string;
}

interface StoredBatch {
  id: string;
  status: string;
  input_file_id: string;
  endpoint: string;
  lines: { custom_id: string; body: object }[];
  answered: { custom_id: string; answer: LineAnswer }[];
  output_file_id: string | null;
  error_file_id: string | null;
  errors: { object: 'list'; data: { code: string; message: string; line: number }[] } | null;
  metadata: unknown;
  created_at: number;
  /** Why the unanswered lines did not run, once it ended early. */
  stopped?: 'batch_cancelled' | 'batch_expired';
}

/** The Batch API state of one scripted gateway; `handle` serves a request, or returns false when it is no Batch route. */
export interface BatchRoutes {
  handle(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): Promise<boolean>;
  /** Ends a batch as OpenAI does after its 24 h window: `expired`, answered lines kept. Throws for an unknown id. */
  expire(batchId: string): void;
  /** The batch ids created so far, in order. */
  batchIds(): string[];
}

type Send = (res: ServerResponse, status: number, body: unknown) => void;

const invalid = (message: string, param: string | null = null) => ({
  error: { message, type: 'invalid_request_error', param, code: null },
});

/** Creates the routes; `answer` gives each line's answer, in the order they run; `send` writes JSON. */
export function createBatchRoutes(answer: (body: object) => LineAnswer, send: Send): BatchRoutes {
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, StoredBatch>();
  let seq = 0;
  const now = () => Math.floor(Date.now() / 1000);

  const view = (b: StoredBatch) => ({
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    errors: b.errors,
    input_file_id: b.input_file_id,
    completion_window: '24h',
    status: b.status,
    output_file_id: b.output_file_id,
    error_file_id: b.error_file_id,
    created_at: b.created_at,
    request_counts: {
      total: b.lines.length,
      completed: b.answered.filter((a) => a.answer.status_code === 200).length,
      failed: b.answered.filter((a) => a.answer.status_code !== 200).length,
    },
    metadata: b.metadata ?? null,
  });

  const addFile = (purpose: string, content: string): string => {
    const id = `file-scripted-${++seq}`;
    files.set(id, { id, purpose, content });
    return id;
  };

  /** Writes the output and error files of a batch that ended (completed, cancelled, expired). */
  const finish = (b: StoredBatch, status: string) => {
    const line = (custom_id: string, response: unknown, error: unknown) =>
      JSON.stringify({ id: `batch_req_${++seq}`, custom_id, response, error });
    const ok = b.answered.filter((a) => a.answer.status_code === 200);
    const bad = b.answered.filter((a) => a.answer.status_code !== 200);
    const out = ok.map((a) => line(a.custom_id, { ...a.answer, request_id: `req_${seq}` }, null));
    const errs = bad.map((a) => line(a.custom_id, { ...a.answer, request_id: `req_${seq}` }, null));
    const done = new Set(b.answered.map((a) => a.custom_id));
    for (const l of b.lines)
      if (!done.has(l.custom_id) && b.stopped)
        errs.push(line(l.custom_id, null, { code: b.stopped, message: `This request was not run: ${b.stopped}.` }));
    if (out.length) b.output_file_id = addFile('batch_output', out.join('\n') + '\n');
    if (errs.length) b.error_file_id = addFile('batch_output', errs.join('\n') + '\n');
    b.status = status;
  };

  /** One poll's worth of progress. */
  const advance = (b: StoredBatch) => {
    if (b.status === 'validating') {
      const file = files.get(b.input_file_id)!;
      const errors = validate(file.content, b.endpoint);
      if (errors.length) {
        b.errors = { object: 'list', data: errors };
        b.status = 'failed';
        return;
      }
      b.lines = file.content
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { custom_id: string; body: object });
      b.status = 'in_progress';
    } else if (b.status === 'in_progress') {
      const next = b.lines[b.answered.length];
      if (next) b.answered.push({ custom_id: next.custom_id, answer: answer(next.body) });
      else finish(b, 'completed');
    } else if (b.status === 'cancelling') {
      b.stopped = 'batch_cancelled';
      finish(b, 'cancelled');
    }
  };

  return {
    batchIds: () => [...batches.keys()],
    expire(batchId) {
      const b = batches.get(batchId);
      if (!b) throw new Error(`no batch ${batchId}`);
      b.stopped = 'batch_expired';
      finish(b, 'expired');
    },
    async handle(req, res, path, raw) {
      const m = req.method;
      if (m === 'POST' && path === '/v1/files') {
        let form: FormData;
        try {
          form = await new Request('http://stand-in/', {
            method: 'POST',
            headers: { 'content-type': String(req.headers['content-type'] ?? '') },
            body: raw,
          }).formData();
        } catch {
          send(res, 400, invalid('The request body must be multipart/form-data.'));
          return true;
        }
        const purpose = form.get('purpose');
        const file = form.get('file');
        if (purpose !== 'batch')
          send(res, 400, invalid(`Invalid value for 'purpose': ${JSON.stringify(purpose)}.`, 'purpose'));
        else if (!(file instanceof Blob) || !(file instanceof File) || !file.name.endsWith('.jsonl'))
          send(res, 400, invalid('Invalid file format for Batch API. Must be .jsonl', 'file'));
        else {
          const content = await file.text();
          const id = addFile('batch', content);
          send(res, 200, {
            id,
            object: 'file',
            bytes: Buffer.byteLength(content),
            created_at: now(),
            filename: file.name,
            purpose,
          });
        }
        return true;
      }
      if (m === 'POST' && path === '/v1/batches') {
        let body: { input_file_id?: unknown; endpoint?: unknown; completion_window?: unknown; metadata?: unknown };
        try {
          body = JSON.parse(raw.toString('utf8')) as typeof body;
        } catch {
          send(res, 400, invalid('We could not parse the JSON body of your request.'));
          return true;
        }
        const file = typeof body.input_file_id === 'string' ? files.get(body.input_file_id) : undefined;
        if (!file || file.purpose !== 'batch')
          send(res, 400, invalid(`Invalid 'input_file_id': ${JSON.stringify(body.input_file_id)}.`, 'input_file_id'));
        else if (body.endpoint !== '/v1/chat/completions')
          send(res, 400, invalid(`Invalid value for 'endpoint': ${JSON.stringify(body.endpoint)}.`, 'endpoint'));
        else if (body.completion_window !== '24h')
          send(
            res,
            400,
            invalid("Invalid value for 'completion_window': only '24h' is supported.", 'completion_window'),
          );
        else {
          const b: StoredBatch = {
            id: `batch_scripted_${++seq}`,
            status: 'validating',
            input_file_id: file.id,
            endpoint: body.endpoint,
            lines: [],
            answered: [],
            output_file_id: null,
            error_file_id: null,
            errors: null,
            metadata: body.metadata,
            created_at: now(),
          };
          batches.set(b.id, b);
          send(res, 200, view(b));
        }
        return true;
      }
      if (m === 'GET' && path === '/v1/batches') {
        const data = [...batches.values()].reverse().map(view);
        send(res, 200, {
          object: 'list',
          data,
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
          has_more: false,
        });
        return true;
      }
      const batch = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
      if (batch) {
        const b = batches.get(decodeURIComponent(batch[1]!));
        if (!b) send(res, 404, invalid(`No batch found with id '${batch[1]}'.`));
        else if (m === 'GET' && !batch[2]) {
          advance(b);
          send(res, 200, view(b));
        } else if (m === 'POST' && batch[2]) {
          if (['validating', 'in_progress', 'finalizing'].includes(b.status)) b.status = 'cancelling';
          send(res, 200, view(b));
        } else return false;
        return true;
      }
      const content = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
      if (content && m === 'GET') {
        const f = files.get(decodeURIComponent(content[1]!));
        if (!f) send(res, 404, invalid(`No such File object: ${content[1]}`, 'id'));
        else {
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            'x-scripted-gateway': 'stand-in for the model provider',
          });
          res.end(f.content);
        }
        return true;
      }
      return false;
    },
  };
}

/** OpenAI's line checks at validation; one error per bad line (1-based `line`). */
function validate(content: string, endpoint: string): { code: string; message: string; line: number }[] {
  const errors: { code: string; message: string; line: number }[] = [];
  const seen = new Set<string>();
  let model: unknown;
  content
    .split('\n')
    .filter((l) => l.trim())
    .forEach((text, i) => {
      const line = i + 1;
      let v: Record<string, unknown> | null = null;
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) v = parsed as Record<string, unknown>;
      } catch {
        // reported below
      }
      const body = v?.body as Record<string, unknown> | undefined;
      const fail = (code: string, message: string) => errors.push({ code, message, line });
      if (!v) return fail('invalid_json_line', 'This line is not parseable as valid JSON.');
      if (typeof v.custom_id !== 'string')
        return fail('missing_required_parameter', "Missing required parameter: 'custom_id'.");
      if (seen.has(v.custom_id))
        return fail('duplicate_custom_id', 'The custom_id for this request is a duplicate of another request.');
      seen.add(v.custom_id);
      if (v.method !== 'POST') return fail('invalid_method', "The 'method' for this request must be 'POST'.");
      if (v.url !== endpoint)
        return fail('mismatched_endpoint', `The 'url' for this request must match the batch endpoint ${endpoint}.`);
      if (!body || typeof body !== 'object')
        return fail('missing_required_parameter', "Missing required parameter: 'body'.");
      if (model !== undefined && body.model !== model)
        return fail('mismatched_model', 'All requests in a batch must use the same model.');
      model = body.model;
    });
  return errors;
}
