import { record } from './recorder';
import type { Database, SqlValue } from './sqljs';

/** One result row, by column name. */
export type Row = Record<string, SqlValue>;

/** Bind parameters: positional values. */
export type Params = SqlValue[];

/** All rows of a query. */
export function all(db: Database, sql: string, params: Params = []): Row[] {
  const stmt = db.prepare(sql, params);
  try {
    const rows: Row[] = [];
    while (stmt.step()) rows.push(stmt.getAsObject());
    return rows;
  } finally {
    stmt.free();
  }
}

/** The first row of a query, or undefined. */
export function one(db: Database, sql: string, params: Params = []): Row | undefined {
  return all(db, sql, params)[0];
}

/** The first column of the first row as a number (0 for no row or NULL, e.g. SUM over nothing). */
export function num(db: Database, sql: string, params: Params = []): number {
  const row = one(db, sql, params);
  const value = row ? Object.values(row)[0] : null;
  return value === null || value === undefined ? 0 : Number(value);
}

/**
 * Runs a mutating statement and returns how many rows it changed. Inside a DbStore write it is
 * recorded for the journal (recorder.ts), so this is the only way a write may change rows; the
 * SQL must be deterministic (no datetime('now'), random(): bind such values). Throws the SQL error.
 */
export function run(db: Database, sql: string, params: Params = []): number {
  db.run(sql, params);
  const changes = db.getRowsModified();
  record(db, sql, params, changes);
  return changes;
}
