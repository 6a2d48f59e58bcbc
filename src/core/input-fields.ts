/**
 * Zod builders for MCP tool arguments whose every message names the field (its user-facing
 * snake_case name) and the limit or the fix, e.g. `prompt is 204800 bytes; the limit is 102400
 * bytes (TEXT_MAX_BYTES)`. The MCP SDK validates tool arguments with these schemas and returns
 * the messages as a tool error (adding ` at <path>` for nested fields), before any handler runs.
 */
import { z } from 'zod';
import {
  MAX_COST_USD_LIMIT,
  MIN_COST_USD,
  NAME_MAX_BYTES,
  PATH_MAX_BYTES,
  PATH_SEGMENT_MAX_BYTES,
} from './input-limits';
import { utf8ByteLength } from './token-bound';

/** What a wrong value is, for messages: `a number`, `null`, `an array`, `NaN`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `the number ${v}` : String(v);
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** The message of a missing or mistyped field: "`field` is required: `hint`" or "`field` must be `type`, got …". */
function typeError(field: string, type: string, hint?: string) {
  return (iss: { input?: unknown }) =>
    iss.input === undefined
      ? `${field} is required${hint ? `: ${hint}` : ` (${type})`}`
      : `${field} must be ${type}, got ${describeValue(iss.input)}`;
}

/** A string field: not empty, at most `maxBytes` UTF-8 bytes (`limitName` says which constant), no NUL byte. */
export function textField(field: string, maxBytes: number, limitName: string, hint?: string) {
  return z
    .string({ error: typeError(field, 'a string', hint) })
    .min(1, `${field} must not be empty${hint ? `: ${hint}` : ''}`)
    .refine((s) => utf8ByteLength(s) <= maxBytes, {
      error: (iss) =>
        `${field} is ${utf8ByteLength(String(iss.input))} bytes; the limit is ${maxBytes} bytes (${limitName})`,
    })
    .refine((s) => !s.includes('\0'), `${field} must not contain a NUL byte (\\u0000)`)
    .meta({ maxLength: maxBytes }); // advertised in tools/list; a character is at least one byte, so this bound is implied
}

/** A short name (model, check name, job id): {@link textField} with NAME_MAX_BYTES. */
export function nameField(field: string, hint?: string) {
  return textField(field, NAME_MAX_BYTES, 'NAME_MAX_BYTES', hint);
}

/** The first segment of `p` longer than PATH_SEGMENT_MAX_BYTES, if any. */
function longSegment(p: string): string | undefined {
  return p.split(/[\\/]/).find((s) => utf8ByteLength(s) > PATH_SEGMENT_MAX_BYTES);
}

/**
 * A path string: not empty, at most PATH_MAX_BYTES, no segment over PATH_SEGMENT_MAX_BYTES, no
 * NUL byte. Whether it exists and lies inside the sandbox is the service's check (it needs I/O).
 */
export function pathField(field: string, hint?: string) {
  return z
    .string({ error: typeError(field, 'a path string', hint) })
    .min(1, `${field} must not be empty: give an absolute path`)
    .refine((s) => utf8ByteLength(s) <= PATH_MAX_BYTES, {
      error: (iss) =>
        `${field} is ${utf8ByteLength(String(iss.input))} bytes; a path is at most ${PATH_MAX_BYTES} bytes (PATH_MAX)`,
    })
    .refine((s) => longSegment(s) === undefined, {
      error: (iss) =>
        `${field} has a name of ${utf8ByteLength(longSegment(String(iss.input)) ?? '')} bytes; a file or folder name is at most ${PATH_SEGMENT_MAX_BYTES} bytes (NAME_MAX)`,
    })
    .refine((s) => !s.includes('\0'), `${field} must not contain a NUL byte (\\u0000)`)
    .meta({ maxLength: PATH_MAX_BYTES });
}

/** An integer field in [min, max] (`unit` for messages, e.g. "ms"). */
export function intField(field: string, min: number, max: number, unit = '') {
  const u = unit ? ` ${unit}` : '';
  return z
    .number({ error: typeError(field, `an integer from ${min} to ${max}${u}`) })
    .int(`${field} must be a whole number from ${min} to ${max}${u}`)
    .min(min, `${field} must be at least ${min}${u}`)
    .max(max, `${field} must be at most ${max}${u}`);
}

/** A USD amount: finite, from MIN_COST_USD (1 µUSD) to MAX_COST_USD_LIMIT. */
export function usdField(field: string) {
  const range = `from ${MIN_COST_USD} to ${MAX_COST_USD_LIMIT} USD`;
  return z
    .number({ error: typeError(field, `a USD amount ${range}`) })
    .min(MIN_COST_USD, `${field} must be at least ${MIN_COST_USD} USD (1 µUSD); omit it for no per-job cap`)
    .max(
      MAX_COST_USD_LIMIT,
      `${field} must be at most ${MAX_COST_USD_LIMIT} USD (MAX_COST_USD_LIMIT); the monthly budget caps spend as well`,
    );
}

/** A boolean field. */
export function boolField(field: string) {
  return z.boolean({ error: typeError(field, 'true or false') });
}

/** A list field of at most `max` entries (and at least `min`). */
export function listField<T extends z.ZodType>(field: string, item: T, min: number, max: number, hint?: string) {
  return z
    .array(item, { error: typeError(field, 'a list', hint) })
    .min(min, `${field} needs at least ${min} ${min === 1 ? 'entry' : 'entries'}${hint ? `: ${hint}` : ''}`)
    .max(max, `${field} takes at most ${max} entries`);
}

/** An enum field; the message lists the allowed values. */
export function enumField<const T extends readonly [string, ...string[]]>(field: string, values: T) {
  return z.enum(values, {
    error: (iss) =>
      `${field} must be one of ${values.join(', ')}${iss.input === undefined ? '' : `, got ${JSON.stringify(iss.input)}`}`,
  });
}

/** ISO 8601 instants in UTC: date, `T`, hours and minutes, optional seconds and fraction, `Z`. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;

/**
 * An instant as an ISO 8601 UTC string (`2026-12-03T23:00:00Z`). Only the form is checked here;
 * whether it lies in the future is a question of the clock (JobService asks it).
 */
export function isoInstantField(field: string) {
  return z
    .string({ error: typeError(field, 'an ISO 8601 UTC time like "2026-12-03T23:00:00Z"') })
    .refine((s) => ISO_UTC.test(s) && !Number.isNaN(Date.parse(s)), {
      error: (iss) =>
        `${field} must be an ISO 8601 UTC time like "2026-12-03T23:00:00Z" (ending in Z), got ${JSON.stringify(iss.input)}`,
    });
}

/**
 * An object that refuses unknown fields by name, e.g. `unknown field "promt" (start takes
 * prompt, allowed_dirs, …)`. `label` names the object in messages (a tool, or a nested field).
 */
export function strictObject<S extends z.ZodRawShape>(label: string, shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const keys = (iss as { keys: string[] }).keys.map((k) => JSON.stringify(k)).join(', ');
        return `unknown field ${keys} (${label} takes ${known.length ? known.join(', ') : 'no arguments'})`;
      }
      return `${label} must be an object, got ${describeValue(iss.input)}`;
    },
  });
}
