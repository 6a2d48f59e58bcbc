import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';

export type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';

let cached: Promise<SqlJsStatic> | undefined;

/**
 * Where sql-wasm.wasm is: next to the bundle in dist/ (esbuild.mjs copies it there), otherwise the
 * copy inside node_modules (tests and tsx runs). Throws Error when neither exists.
 */
export function sqlWasmPath(): string {
  const besideBundle = path.join(__dirname, 'sql-wasm.wasm');
  if (existsSync(besideBundle)) return besideBundle;
  try {
    // createRequire rather than require.resolve: esbuild would try to bundle the .wasm otherwise.
    return createRequire(__filename).resolve('sql.js/dist/sql-wasm.wasm');
  } catch (err) {
    throw new Error(
      `sql-wasm.wasm is missing: not beside the bundle (${besideBundle}) nor in node_modules/sql.js; rebuild with esbuild.mjs`,
      { cause: err },
    );
  }
}

/**
 * sql.js, loaded and its WASM compiled on the first call only, then cached for the process
 * (~tens of ms once; hosts that never open a ledger never pay it). A failed load is not cached,
 * so a later call retries. Rejects with the loader's error, prefixed with the WASM path.
 */
export function loadSqlJs(): Promise<SqlJsStatic> {
  cached ??= (async () => {
    const wasm = sqlWasmPath();
    // Dynamic import: the module (and its WASM) is evaluated only when a ledger is first opened.
    const mod: { default?: unknown } = await import('sql.js');
    const init = (mod.default ?? mod) as (config?: { locateFile?: (file: string) => string }) => Promise<SqlJsStatic>;
    try {
      return await init({ locateFile: () => wasm });
    } catch (err) {
      throw new Error(`cannot load sql.js from ${wasm}: ${(err as Error).message}`, { cause: err });
    }
  })().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/**
 * Opens a database from file bytes (or a new empty one), with the ledger's connection settings
 * (throws the SQL error, e.g. "file is not a database", after closing it):
 * foreign keys enforced; and, since the database lives in sql.js's in-memory file system and is
 * made durable by the ledger's own snapshot and journal (journaled-store.ts), no rollback-journal
 * file, no fsync, and no per-transaction file locking (it is this connection's alone). Measured,
 * those settings halved the cost of a ledger transaction; ROLLBACK works as before.
 */
export function openDatabase(SQL: SqlJsStatic, bytes?: Uint8Array | null): Database {
  const db = new SQL.Database(bytes && bytes.length > 0 ? bytes : undefined);
  try {
    db.run(
      'PRAGMA foreign_keys = ON; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY',
    );
  } catch (err) {
    db.close(); // bytes that are not a database fail here already
    throw err;
  }
  return db;
}
