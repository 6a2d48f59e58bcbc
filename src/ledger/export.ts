import { existsSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import {
  breakerEventKey,
  callKey,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  jobKey,
  type ExportBreakerEvent,
  type ExportCall,
  type ExportHeader,
  type ExportJob,
} from '../core/ledger-export';
import type { DbStore } from './db-store';
import { fileDbStore } from './journaled-store';
import type { Identity } from './ledger';
import { all, num, one, type Row } from './rows';
import { SCHEMA_VERSION } from './schema';
import type { Database } from './sqljs';

/** Rows per read (and per write to the output): bounds what one page holds in memory. */
const PAGE_ROWS = 500;

const str = (v: unknown) => (v === null ? null : String(v));
const int = (v: unknown) => (v === null ? null : Number(v));
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : null);

function jobOf(r: Row): ExportJob {
  return {
    id: String(r.id),
    kind: String(r.kind) as ExportJob['kind'],
    status: String(r.status) as ExportJob['status'],
    agent: str(r.agent),
    model: String(r.model),
    request: json(r.request_json),
    result: json(r.result_json),
    error: str(r.error),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
    max_cost_micros: int(r.max_cost_micros),
    member: str(r.member),
    machine: str(r.machine),
  };
}

function callOf(r: Row): ExportCall {
  return {
    id: Number(r.id),
    job_id: String(r.job_id),
    reservation_id: str(r.reservation_id),
    model: String(r.model),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
    cache_read_tokens: Number(r.cache_read_tokens),
    cost_micros: Number(r.cost_micros),
    status: String(r.status),
    route: str(r.route) as ExportCall['route'],
    latency_ms: int(r.latency_ms),
    created_at: Number(r.created_at),
    member: str(r.member),
    machine: str(r.machine),
  };
}

function eventOf(r: Row): ExportBreakerEvent {
  return {
    id: Number(r.id),
    at: Number(r.at),
    state: String(r.state) as ExportBreakerEvent['state'],
    reason: str(r.reason),
    detail: str(r.detail),
  };
}

/** One table's pages: rows with key column `col` in (after, upTo], in key order, as JSONL lines. */
interface Table {
  sql: string;
  line: (r: Row, ledgerId: string) => string;
}

const TABLES: Record<'jobs' | 'model_calls' | 'breaker_events', Table> = {
  jobs: {
    sql: 'SELECT rowid AS k, * FROM jobs WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?',
    line: (r) => {
      const job = jobOf(r);
      return JSON.stringify({ type: 'job', key: jobKey(job.id), job });
    },
  },
  model_calls: {
    sql: 'SELECT id AS k, * FROM model_calls WHERE id > ? AND id <= ? ORDER BY id LIMIT ?',
    line: (r, ledgerId) => {
      const call = callOf(r);
      return JSON.stringify({ type: 'model_call', key: callKey(ledgerId, call), call });
    },
  },
  breaker_events: {
    sql: 'SELECT id AS k, * FROM breaker_events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?',
    line: (r, ledgerId) => {
      const event = eventOf(r);
      return JSON.stringify({ type: 'breaker_event', key: breakerEventKey(ledgerId, event.id), event });
    },
  },
};

/** What an export holds: rows of each kind. */
export type ExportCounts = ExportHeader['counts'];

/** The last key of each table and its row count, read once so that every page stops there. */
function bounds(db: Database): { ledgerId: string; upTo: Record<keyof typeof TABLES, number>; counts: ExportCounts } {
  const row = one(db, 'SELECT ledger_id FROM ledger_info WHERE id = 1');
  if (!row) throw new Error('the ledger has no ledger_info row (schema 11 gives every ledger one); run `ledger check`');
  const ledgerId = String(row.ledger_id);
  const upTo = {
    jobs: num(db, 'SELECT MAX(rowid) FROM jobs'),
    model_calls: num(db, 'SELECT MAX(id) FROM model_calls'),
    breaker_events: num(db, 'SELECT MAX(id) FROM breaker_events'),
  };
  const counts = {
    jobs: num(db, 'SELECT COUNT(*) FROM jobs WHERE rowid <= ?', [upTo.jobs]),
    model_calls: num(db, 'SELECT COUNT(*) FROM model_calls WHERE id <= ?', [upTo.model_calls]),
    breaker_events: num(db, 'SELECT COUNT(*) FROM breaker_events WHERE id <= ?', [upTo.breaker_events]),
  };
  return { ledgerId, upTo, counts };
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Writes the history of the store's ledger to `out` as export JSONL (format: core/ledger-export.ts):
 * the header, then every job, model call and breaker event, read PAGE_ROWS at a time and written
 * as each page is read (waiting for `drain`), so the export is never whole in memory. The rows are
 * those that existed when it began (each table read up to its last key then; rows are never
 * deleted); a job updated meanwhile is exported as it is when its page is read. Does not end `out`.
 */
export async function exportStore(
  store: DbStore,
  out: Writable,
  source: { file: string; identity: Identity; now: number },
): Promise<ExportCounts> {
  const { ledgerId, upTo, counts } = await store.read(bounds);
  const header: ExportHeader = {
    type: 'header',
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exported_at: new Date(source.now).toISOString(),
    source: { ledger_id: ledgerId, file: source.file, schema_version: SCHEMA_VERSION, identity: source.identity },
    counts,
  };
  await write(out, `${JSON.stringify(header)}\n`);
  for (const [name, table] of Object.entries(TABLES) as Array<[keyof typeof TABLES, Table]>) {
    for (let after = 0; ;) {
      const rows = await store.read((db) => all(db, table.sql, [after, upTo[name], PAGE_ROWS]));
      if (rows.length === 0) break;
      await write(out, `${rows.map((r) => table.line(r, ledgerId)).join('\n')}\n`);
      after = Number(rows[rows.length - 1]!.k);
    }
  }
  return counts;
}

/**
 * `ledger export`: exports the sql.js ledger file at `file` (migrating it to SCHEMA_VERSION first
 * if it is older, as any open does) to `out`; see exportStore. `identity` is who exports (the
 * header's source.identity). Throws Error when no ledger exists at `file` (none is created), and
 * what opening a ledger throws (LedgerDamageError, LedgerVersionError, LedgerFileError).
 */
export async function exportLedger(
  file: string,
  out: Writable,
  opts: { identity: Identity; now?: number },
): Promise<ExportCounts> {
  if (!existsSync(file)) throw new Error(`no ledger at ${file}: nothing to export (set OFFLOAD_LEDGER or --ledger)`);
  const store = await fileDbStore(file);
  try {
    return await exportStore(store, out, { file, identity: opts.identity, now: opts.now ?? Date.now() });
  } finally {
    await store.close();
  }
}
