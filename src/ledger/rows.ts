import { record } from './recorder';
import type { Database, SqlValue, Statement } from './sqljs';
import { withStatement } from './statements';

/** One result row, by column name. */
export type Row = Record<string, SqlValue>;

/** Bind parameters: positional values. */
export type Params = SqlValue[];

// Every helper runs a statement compiled once per database (statements.ts).

/**
 * Column names by compiled statement. sql.js's getAsObject asks SQLite for every column name (and
 * decodes it from UTF-8) on each row; a statement's columns never change, so they are read once.
 */
const columnNames = new WeakMap<Statement, string[]>();

function rowOf(stmt: Statement): Row {
  const values = stmt.get();
  let names = columnNames.get(stmt);
  // SQLite recompiles a statement whose tables changed shape (a `SELECT *` after ALTER TABLE): then the names are read again.
  if (!names || names.length !== values.length) columnNames.set(stmt, (names = stmt.getColumnNames()));
  const row: Row = {};
  for (let i = 0; i < names.length; i++) row[names[i] as string] = values[i] as SqlValue;
  return row;
}

/** All rows of a query. */
export function all(db: Database, sql: string, params: Params = []): Row[] {
  return withStatement(db, sql, params, (stmt) => {
    const rows: Row[] = [];
    while (stmt.step()) rows.push(rowOf(stmt));
    return rows;
  });
}

/** The first row of a query, or undefined. */
export function one(db: Database, sql: string, params: Params = []): Row | undefined {
  return withStatement(db, sql, params, (stmt) => (stmt.step() ? rowOf(stmt) : undefined));
}

/** The first row's values in column order ([] for no row): for queries whose columns share a name. */
export function values(db: Database, sql: string, params: Params = []): SqlValue[] {
  return withStatement(db, sql, params, (stmt) => (stmt.step() ? stmt.get() : []));
}

/** The first column of the first row as a number (0 for no row or NULL, e.g. SUM over nothing). */
export function num(db: Database, sql: string, params: Params = []): number {
  return withStatement(db, sql, params, (stmt) => {
    const value = stmt.step() ? stmt.get()[0] : null;
    return value === null || value === undefined ? 0 : Number(value);
  });
}

/**
 * Runs a mutating statement and returns how many rows it changed. Inside a DbStore write it is
 * recorded for the journal (recorder.ts), so this is the only way a write may change rows; the
 * SQL must be deterministic (no datetime('now'), random(): bind such values). Throws the SQL error.
 */
export function run(db: Database, sql: string, params: Params = []): number {
  const changes = withStatement(db, sql, params, (stmt) => {
    stmt.step();
    return db.getRowsModified();
  });
  record(db, sql, params, changes);
  return changes;
}
