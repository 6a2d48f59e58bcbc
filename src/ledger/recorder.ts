import type { Database, SqlValue } from './sqljs';
import { execute, withStatement } from './statements';

/** A bound parameter as stored in the journal (JSON): blobs and non-finite numbers are tagged. */
export type JournalParam = string | number | null | { b: string } | { n: string };

/** One recorded mutation: SQL text, its bound parameters, and how many rows it changed. */
export type RecordedStatement = [sql: string, params: JournalParam[], changes: number];

/** The statements of write transactions in progress, by database (rows.run() appends to it). */
const active = new WeakMap<Database, RecordedStatement[]>();

/**
 * SQL whose result depends on more than the database and the bound parameters (time, randomness,
 * connection counters): replaying it in another process would diverge, so it may not be recorded.
 */
export const NONDETERMINISTIC =
  /\b(random|randomblob|date|time|datetime|julianday|strftime|unixepoch|changes|total_changes|last_insert_rowid)\s*\(|\bcurrent_(date|time|timestamp)\b/i;

/** SQL texts already found deterministic (the ledger's SQL is a fixed set of literals; bounded like statements.ts). */
const checked = new Set<string>();

function deterministic(sql: string): boolean {
  if (checked.has(sql)) return true;
  if (NONDETERMINISTIC.test(sql)) return false;
  if (checked.size >= 500) checked.clear();
  checked.add(sql);
  return true;
}

function encode(v: SqlValue): JournalParam {
  if (v instanceof Uint8Array) return { b: Buffer.from(v).toString('base64') };
  if (typeof v === 'number' && !Number.isFinite(v)) return { n: String(v) };
  return v as string | number | null;
}

function decode(v: JournalParam): SqlValue {
  if (v === null || typeof v !== 'object') return v;
  return 'b' in v ? new Uint8Array(Buffer.from(v.b, 'base64')) : Number(v.n);
}

function totalChanges(db: Database): number {
  return withStatement(db, 'SELECT total_changes()', [], (stmt) => (stmt.step() ? Number(stmt.get()[0]) : 0));
}

/**
 * Records a statement that rows.run() just executed on `db`, when a write transaction is open on
 * it; statements that changed no row are left out (they had no effect). Throws Error for
 * nondeterministic SQL inside a write (the caller's transaction then rolls back).
 */
export function record(db: Database, sql: string, params: readonly SqlValue[], changes: number): void {
  const statements = active.get(db);
  if (!statements) return;
  if (!deterministic(sql))
    throw new Error(`ledger writes must be deterministic to be journaled; bind the value instead: ${sql}`);
  if (changes > 0) statements.push([sql, params.map(encode), changes]);
}

/**
 * Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT; ROLLBACK and rethrow on error) and
 * returns its result with the statements that changed rows, in order — empty when nothing changed.
 * Every row change must go through rows.run(): when SQLite's total_changes() moved by more than
 * the recorded statements account for, something wrote around the journal, and the transaction is
 * rolled back with an Error saying so.
 */
export function transact<T>(db: Database, fn: (db: Database) => T): { result: T; statements: RecordedStatement[] } {
  const before = totalChanges(db);
  const statements: RecordedStatement[] = [];
  execute(db, 'BEGIN IMMEDIATE');
  active.set(db, statements);
  try {
    const result = fn(db);
    const changed = totalChanges(db) - before;
    const recorded = statements.reduce((sum, s) => sum + s[2], 0);
    if (changed !== recorded) {
      throw new Error(
        `a ledger write changed ${changed} rows but only ${recorded} went through rows.run(); every mutation must use run() so the journal can replay it`,
      );
    }
    execute(db, 'COMMIT');
    return { result, statements };
  } catch (err) {
    execute(db, 'ROLLBACK');
    throw err;
  } finally {
    active.delete(db);
  }
}

/**
 * Applies recorded statements to `db` in one transaction, as the writer ran them. Throws Error
 * (after rolling back) when a statement fails or changes a different number of rows than it did
 * for the writer: the database is then not the one the statements were recorded on.
 */
export function replay(db: Database, statements: readonly RecordedStatement[]): void {
  execute(db, 'BEGIN IMMEDIATE');
  try {
    for (const [sql, params, changes] of statements) {
      const n = withStatement(db, sql, params.map(decode), (stmt) => {
        stmt.step();
        return db.getRowsModified();
      });
      if (n !== changes)
        throw new Error(`replayed statement changed ${n} rows, the writer's changed ${changes}: ${sql}`);
    }
    execute(db, 'COMMIT');
  } catch (err) {
    execute(db, 'ROLLBACK');
    throw err;
  }
}
