/**
 * `ledger import`: loading a local ledger's export (core/ledger-export.ts, read by
 * ledger/export-reader.ts) into the team ledger under one member, in ONE transaction for the whole
 * file, so a bad line anywhere (or a cut file, or a lost connection) leaves the team ledger as it
 * was. Rows are written up to 1,000 (or 4 MiB of export text) at a time, one statement per batch, each only if its stable
 * key is new to `imported_keys` (schema.ts version 3): a second import of the same file adds
 * nothing, and rows already imported under another member are refused, naming the member.
 *
 * What lands where:
 * - jobs and model calls are attributed to the member given; their machine is the row's, else the
 *   export header's identity (the machine that exported). A job still queued or running in the
 *   export is imported `failed`, saying so: no process of the team ledger holds it, and it must
 *   not be adopted and run a second time.
 * - the settled µUSD of every new model call is added to the admission counters (`scopes`,
 *   scopes.ts) of the UTC month and day of its `created_at` and to the member's month, so the caps
 *   count imported history exactly as if the calls had been settled here (settled may pass a cap:
 *   the money was spent; admission then refuses). These rows are locked last, in lock order, just
 *   before the commit, so a long import holds the team's hot counter rows for two statements only.
 * - breaker events are kept as history (member: the one given); the breaker's state is not changed
 *   (every read evaluates it against the counters again).
 */
import type pg from 'pg';
import type { ExportCall, ExportHeader, ExportJob } from '../../core/ledger-export';
import { TERMINAL_STATUSES, type JobStatus } from '../../core/jobs';
import { readExport, type ExportRow, type NumberedRow } from '../export-reader';
import { migrate } from './migrate';
import { inTx, openPool, type Tx } from './pool';
import { ensureScopes, lockOrder, memberMonthKey, teamDayKey, teamMonthKey, type ScopeKey } from './scopes';

/**
 * Rows per INSERT statement at most. 10,000 jobs and their calls, here (2 CPUs, load 5-8, test server):
 * 100 rows 2.7-2.9 s, 500 1.5-1.8 s, 1,000 1.2-1.5 s, 2,000 1.1-1.2 s; reading and checking the file is ~0.2 s of it.
 */
const BATCH_ROWS = 1000;
/** Export text per INSERT statement at most, characters: a job's request can be a large prompt. */
const BATCH_CHARS = 4 * 1024 * 1024;
const DAY_MS = 86_400_000;

/** Rows of each kind: those the file holds, and those new to the team ledger. */
export interface ImportKindCounts {
  read: number;
  added: number;
}

/** What an import did. Money is µUSD. */
export interface ImportResult {
  header: ExportHeader;
  member: string;
  jobs: ImportKindCounts;
  model_calls: ImportKindCounts;
  breaker_events: ImportKindCounts;
  /** µUSD of the new model calls, added to the admission counters. */
  addedMicros: number;
  /** New jobs that were queued or running in the export, imported `failed`. */
  endedJobs: number;
}

/** Thrown when rows of the file were imported before under another member; nothing is written. */
export class ImportMemberError extends Error {
  override name = 'ImportMemberError';
  constructor(
    readonly line: number,
    readonly key: string,
    readonly importedAs: string,
    member: string,
  ) {
    super(
      `line ${line}: ${key} was imported before as member ${JSON.stringify(importedAs)}, not ${JSON.stringify(member)}: ` +
        `an export's rows belong to one member; run the import again with --member ${importedAs} (only new rows are added). Nothing was imported`,
    );
  }
}

/** Who the rows go to, and the import's time (imported_keys.imported_at, a queued job's end), epoch ms. */
export interface ImportOptions {
  member: string;
  nowMs: number;
}

interface Ctx extends ImportOptions {
  c: Tx;
  header: ExportHeader;
  result: ImportResult;
  /** µUSD to add per scope key, summed over the batches, written at the end. */
  scopes: Map<ScopeKey, number>;
}

const endedError = (status: string) =>
  `imported from a local ledger where it was still ${status}; the team ledger never ran it (its spend so far is kept)`;

function jobRow(key: string, j: ExportJob, ctx: Ctx) {
  const live = !TERMINAL_STATUSES.has(j.status as JobStatus);
  return {
    key,
    id: j.id,
    kind: j.kind,
    status: live ? 'failed' : j.status,
    agent: j.agent,
    model: j.model,
    request_json: JSON.stringify(j.request ?? null),
    result_json: j.result == null ? null : JSON.stringify(j.result),
    error: live ? endedError(j.status) : j.error,
    created_at: j.created_at,
    updated_at: live ? Math.max(j.updated_at, ctx.nowMs) : j.updated_at,
    max_cost_micros: j.max_cost_micros,
    machine: j.machine ?? ctx.header.source.identity.machine,
    live,
  };
}

function callRow(key: string, c: ExportCall, ctx: Ctx) {
  return { ...c, key, machine: c.machine ?? ctx.header.source.identity.machine };
}

/** The key insert every row statement starts with: `x` is the batch, `k` the keys new to imported_keys. */
const NEW_KEYS = `k AS (INSERT INTO imported_keys (key, member, source_ledger_id, imported_at)
  SELECT key, $2, $3, $4 FROM x ON CONFLICT (key) DO NOTHING RETURNING key)`;

const INSERT_JOBS = `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(key text, id text, kind text, status text,
    agent text, model text, request_json text, result_json text, error text, created_at int8, updated_at int8,
    max_cost_micros int8, machine text, live boolean)), ${NEW_KEYS},
  ins AS (INSERT INTO jobs (id, kind, status, agent, model, request_json, result_json, error, created_at, updated_at,
    max_cost_micros, member, machine)
    SELECT x.id, x.kind, x.status, x.agent, x.model, x.request_json, x.result_json, x.error, x.created_at, x.updated_at,
      x.max_cost_micros, $2, x.machine FROM x JOIN k USING (key) ON CONFLICT (id) DO NOTHING RETURNING id)
  SELECT COUNT(*)::int8 AS added, COUNT(*) FILTER (WHERE x.live)::int8 AS ended FROM ins JOIN x USING (id)`;

const INSERT_CALLS = `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(key text, job_id text, reservation_id text,
    model text, input_tokens int8, output_tokens int8, cache_read_tokens int8, cost_micros int8, status text, route text,
    latency_ms int8, created_at int8, machine text)), ${NEW_KEYS},
  ins AS (INSERT INTO model_calls (job_id, reservation_id, model, input_tokens, output_tokens, cache_read_tokens,
    cost_micros, status, route, latency_ms, created_at, member, machine)
    SELECT x.job_id, x.reservation_id, x.model, x.input_tokens, x.output_tokens, x.cache_read_tokens, x.cost_micros,
      x.status, x.route, x.latency_ms, x.created_at, $2, x.machine FROM x JOIN k USING (key)
    ON CONFLICT DO NOTHING RETURNING cost_micros, created_at)
  SELECT (created_at / ${DAY_MS})::int8 AS day, SUM(cost_micros)::int8 AS micros, COUNT(*)::int8 AS added
  FROM ins GROUP BY 1`;

const INSERT_EVENTS = `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(key text, at int8, state text, reason text,
    detail text)), ${NEW_KEYS},
  ins AS (INSERT INTO breaker_events (at, state, reason, detail, member)
    SELECT x.at, x.state, x.reason, x.detail, $2 FROM x JOIN k USING (key) RETURNING 1)
  SELECT COUNT(*)::int8 AS added FROM ins`;

/** Throws ImportMemberError for the first key of `batch` that was imported under a member other than ctx.member. */
async function refuseOtherMember(ctx: Ctx, batch: readonly NumberedRow[]): Promise<void> {
  const { rows } = await ctx.c.query<{ key: string; member: string }>(
    `SELECT i.key, i.member FROM unnest($1::text[]) WITH ORDINALITY AS b(key, n) JOIN imported_keys i USING (key)
    WHERE i.member <> $2 ORDER BY b.n LIMIT 1`,
    [batch.map((b) => b.row.key), ctx.member],
  );
  const hit = rows[0];
  if (hit)
    throw new ImportMemberError(batch.find((b) => b.row.key === hit.key)!.lineNo, hit.key, hit.member, ctx.member);
}

/** Writes one batch of rows of one kind (those whose keys are new), counting what it added. */
async function writeBatch(ctx: Ctx, batch: readonly NumberedRow[]): Promise<void> {
  await refuseOtherMember(ctx, batch);
  const kind = batch[0]!.row.type;
  const params = (rows: unknown[]) => [JSON.stringify(rows), ctx.member, ctx.header.source.ledger_id, ctx.nowMs];
  const pick = <T extends ExportRow['type']>(t: T) =>
    batch.map((b) => b.row).filter((r): r is Extract<ExportRow, { type: T }> => r.type === t);
  if (kind === 'job') {
    const rows = pick('job').map((r) => jobRow(r.key, r.job, ctx));
    const { rows: out } = await ctx.c.query<{ added: number; ended: number }>(INSERT_JOBS, params(rows));
    ctx.result.jobs.added += out[0]!.added;
    ctx.result.endedJobs += out[0]!.ended;
  } else if (kind === 'model_call') {
    const rows = pick('model_call').map((r) => callRow(r.key, r.call, ctx));
    const { rows: out } = await ctx.c.query<{ day: number; micros: number; added: number }>(INSERT_CALLS, params(rows));
    for (const d of out) {
      ctx.result.model_calls.added += d.added;
      ctx.result.addedMicros += d.micros;
      const ms = d.day * DAY_MS;
      for (const key of [teamMonthKey(ms), teamDayKey(ms), memberMonthKey(ctx.member, ms)])
        ctx.scopes.set(key, (ctx.scopes.get(key) ?? 0) + d.micros);
    }
  } else {
    const rows = pick('breaker_event').map((r) => ({ key: r.key, ...r.event }));
    const { rows: out } = await ctx.c.query<{ added: number }>(INSERT_EVENTS, params(rows));
    ctx.result.breaker_events.added += out[0]!.added;
  }
}

/**
 * Adds the new calls' µUSD to their scope rows (created where missing), each locked in lock order
 * first (SELECT … ORDER BY key FOR UPDATE), as admission and settle take them, so none deadlocks.
 */
async function chargeScopes(c: Tx, scopes: Map<ScopeKey, number>): Promise<void> {
  const keys = lockOrder(scopes.keys()).filter((k) => scopes.get(k)! > 0);
  if (!keys.length) return;
  await ensureScopes(c, keys);
  await c.query('SELECT key FROM scopes WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE', [keys]);
  await c.query(
    'UPDATE scopes SET settled = scopes.settled + d.micros FROM unnest($1::text[], $2::int8[]) AS d(key, micros) WHERE scopes.key = d.key',
    [keys, keys.map((k) => scopes.get(k)!)],
  );
}

/**
 * Imports the rows of `header`'s export, read from `rows`, into the team ledger on `pool` under
 * `o.member`, in one READ COMMITTED transaction (never retried: the rows are read once). Resolves
 * with what was read and added. Throws, after rolling back (nothing written): ExportFormatError for
 * a bad line or a cut file (export-reader.ts), ImportMemberError for rows imported under another
 * member, the driver's error for the database.
 */
export async function importRows(
  pool: pg.Pool,
  header: ExportHeader,
  rows: AsyncIterable<NumberedRow>,
  o: ImportOptions,
): Promise<ImportResult> {
  const result: ImportResult = {
    header,
    member: o.member,
    jobs: { read: 0, added: 0 },
    model_calls: { read: 0, added: 0 },
    breaker_events: { read: 0, added: 0 },
    addedMicros: 0,
    endedJobs: 0,
  };
  const count = { job: result.jobs, model_call: result.model_calls, breaker_event: result.breaker_events };
  return inTx(
    pool,
    async (c) => {
      const ctx: Ctx = { ...o, c, header, result, scopes: new Map() };
      let batch: NumberedRow[] = [];
      let chars = 0;
      for await (const r of rows) {
        const full = batch.length >= BATCH_ROWS || chars + r.chars > BATCH_CHARS;
        if (batch.length && (full || batch[0]!.row.type !== r.row.type)) {
          await writeBatch(ctx, batch);
          batch = [];
          chars = 0;
        }
        batch.push(r);
        chars += r.chars;
        count[r.row.type].read++;
      }
      if (batch.length) await writeBatch(ctx, batch);
      await chargeScopes(c, ctx.scopes);
      return result;
    },
    'READ COMMITTED',
    0,
  );
}

/**
 * `ledger import FILE --member NAME` against the team ledger at `url`: migrates the database if it
 * is older (migrate.ts), reads `file` (readExport) and imports it (importRows). Throws what those
 * throw; the connection pool is closed either way.
 */
export async function importExportFile(
  url: string,
  file: string,
  o: ImportOptions & { password?: string },
): Promise<ImportResult> {
  const { header, rows, close } = await readExport(file);
  const pool = openPool({ url, password: o.password, max: 1 });
  try {
    await migrate(pool, (line) => process.stderr.write(`${line}\n`));
    return await importRows(pool, header, rows, { member: o.member, nowMs: o.nowMs });
  } finally {
    close();
    await pool.end();
  }
}
