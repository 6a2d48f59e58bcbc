/**
 * The JSONL format of `ledger export` (README, "Team ledger"), pure: the line schemas, the stable
 * keys an importer deduplicates by, and the strict parser `ledger import` uses. One JSON object
 * per line:
 *   1. a header: `{"type":"header","format":"offload-ledger-export","version":1,"exported_at":ISO,
 *      "source":{"ledger_id","file","schema_version","identity":{"member","machine"}},
 *      "counts":{"jobs","model_calls","breaker_events"}}`;
 *   2. every job: `{"type":"job","key":"job:<id>","job":{…the row…}}`, oldest first;
 *   3. every model call: `{"type":"model_call","key":"call:<reservation_id>","call":{…}}`, in
 *      settle order (a call without a reservation id is keyed `call:<ledger_id>/<id>`);
 *   4. every breaker event: `{"type":"breaker_event","key":"breaker:<ledger_id>/<id>","event":{…}}`.
 * Money is integer µUSD, times epoch ms (UTC), tokens integers; `member`/`machine` are null on
 * rows written before attribution (schema 11). Job ids and reservation ids are random UUIDs, and
 * the ledger id names the source ledger, so a key names one row across every ledger: an importer
 * that skips keys it already holds adds nothing when run twice.
 */
import { z } from 'zod';

/** The header's `format`. */
export const EXPORT_FORMAT = 'offload-ledger-export';
/** The header's `version`: this code writes and reads version 1 only. */
export const EXPORT_VERSION = 1;

/** A job line's key. */
export function jobKey(jobId: string): string {
  return `job:${jobId}`;
}

/** A model call line's key: its reservation id, or the source ledger and the call's row id when it has none. */
export function callKey(ledgerId: string, call: { id: number; reservation_id: string | null }): string {
  return call.reservation_id !== null ? `call:${call.reservation_id}` : `call:${ledgerId}/${call.id}`;
}

/** A breaker event line's key: the source ledger and the event's row id. */
export function breakerEventKey(ledgerId: string, eventId: number): string {
  return `breaker:${ledgerId}/${eventId}`;
}

const text = z.string().min(1);
const count = z.number().int().nonnegative();
const ms = z.number().int().nonnegative().describe('epoch ms');
const micros = z.number().int().nonnegative().describe('µUSD');
const who = z.string().min(1).max(128).nullable();
const JOB_KINDS = ['llm', 'claude-code', 'batch', 'analyze'] as const;
const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'budget_exceeded', 'rejected'] as const;

const HeaderLine = z.strictObject({
  type: z.literal('header'),
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  exported_at: z.iso.datetime(),
  source: z.strictObject({
    ledger_id: text,
    file: text,
    schema_version: z.number().int().positive(),
    identity: z.strictObject({ member: text, machine: text }),
  }),
  counts: z.strictObject({ jobs: count, model_calls: count, breaker_events: count }),
});

const JobLine = z.strictObject({
  type: z.literal('job'),
  key: text,
  job: z.strictObject({
    id: text,
    kind: z.enum(JOB_KINDS),
    status: z.enum(JOB_STATUSES),
    agent: z.string().nullable(),
    model: text,
    request: z.unknown(),
    result: z.unknown(),
    error: z.string().nullable(),
    created_at: ms,
    updated_at: ms,
    max_cost_micros: micros.nullable(),
    member: who,
    machine: who,
  }),
});

const ModelCallLine = z.strictObject({
  type: z.literal('model_call'),
  key: text,
  call: z.strictObject({
    id: z.number().int().positive(),
    job_id: text,
    reservation_id: text.nullable(),
    model: text,
    input_tokens: count,
    output_tokens: count,
    cache_read_tokens: count,
    cost_micros: micros,
    status: text,
    route: z.enum(['primary', 'fallback']).nullable(),
    latency_ms: z.number().int().nonnegative().nullable(),
    created_at: ms,
    member: who,
    machine: who,
  }),
});

const BreakerEventLine = z.strictObject({
  type: z.literal('breaker_event'),
  key: text,
  event: z.strictObject({
    id: z.number().int().positive(),
    at: ms,
    state: z.enum(['closed', 'open', 'half-open']),
    reason: z.string().nullable(),
    detail: z.string().nullable(),
  }),
});

const ExportLine = z.discriminatedUnion('type', [HeaderLine, JobLine, ModelCallLine, BreakerEventLine]);

/** One parsed line of an export. */
export type ExportLine = z.infer<typeof ExportLine>;
/** The header line. */
export type ExportHeader = z.infer<typeof HeaderLine>;
/** A job line's row. */
export type ExportJob = z.infer<typeof JobLine>['job'];
/** A model call line's row. */
export type ExportCall = z.infer<typeof ModelCallLine>['call'];
/** A breaker event line's row. */
export type ExportBreakerEvent = z.infer<typeof BreakerEventLine>['event'];

/** Thrown for a line that is not a valid export line: `line` is its number (1 = the header), `field` the path of what is wrong. */
export class ExportFormatError extends Error {
  override name = 'ExportFormatError';
  constructor(
    readonly line: number,
    readonly field: string,
    message: string,
  ) {
    super(`line ${line}: ${field}: ${message}`);
  }
}

/** The key a line must carry, given the source ledger's id. */
function expectedKey(line: Exclude<ExportLine, ExportHeader>, ledgerId: string): string {
  if (line.type === 'job') return jobKey(line.job.id);
  if (line.type === 'model_call') return callKey(ledgerId, line.call);
  return breakerEventKey(ledgerId, line.event.id);
}

/**
 * Parses and checks line number `lineNumber` (1-based) of an export, strictly: valid JSON, one of
 * the four line types with exactly their fields, the header on line 1 and only there, and (given
 * the header's `ledgerId`, which every line after it needs) the key its row implies. Throws
 * ExportFormatError naming the line and the field.
 */
export function parseExportLine(textLine: string, lineNumber: number, ledgerId?: string): ExportLine {
  let value: unknown;
  try {
    value = JSON.parse(textLine);
  } catch (err) {
    throw new ExportFormatError(lineNumber, '(line)', `is not JSON (${(err as Error).message})`);
  }
  const parsed = ExportLine.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ExportFormatError(lineNumber, issue.path.join('.') || '(line)', issue.message);
  }
  const line = parsed.data;
  if ((line.type === 'header') !== (lineNumber === 1))
    throw new ExportFormatError(
      lineNumber,
      'type',
      lineNumber === 1
        ? `the first line must be the header, got "${line.type}"`
        : 'a header may only be the first line',
    );
  if (line.type === 'header') return line;
  if (ledgerId === undefined)
    throw new ExportFormatError(lineNumber, 'key', "cannot be checked without the header's source.ledger_id");
  const want = expectedKey(line, ledgerId);
  if (line.key !== want) throw new ExportFormatError(lineNumber, 'key', `must be ${JSON.stringify(want)} for this row`);
  return line;
}
