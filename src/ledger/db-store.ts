import { LedgerDamageError } from './damage';
import { transact } from './recorder';
import { ensureSchema, LedgerVersionError, openableVersion, SCHEMA_VERSION, schemaVersion } from './schema';
import { loadSqlJs, openDatabase, type Database, type SqlJsStatic } from './sqljs';

/**
 * Where a ledger's database lives and how a change reaches it. `read` sees the freshest committed
 * state; `write` runs its function inside one transaction (ROLLBACK and rethrow on error, nothing
 * persisted) and persists only when rows changed. Calls on one store run one at a time.
 */
export interface DbStore {
  read<T>(fn: (db: Database) => T): Promise<T>;
  write<T>(fn: (db: Database) => T): Promise<T>;
  /** Waits for pending calls, then frees the database. Later calls reject. */
  close(): Promise<void>;
}

/** One-at-a-time execution of async tasks, in call order. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  closed = false;
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the ledger is closed'));
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** An in-memory ledger database (unit tests): no file, no lock. Writes are recorded and checked as for a file. */
export async function memoryDbStore(): Promise<DbStore> {
  const db = openDatabase(await loadSqlJs());
  ensureSchema(db);
  const serial = new Serial();
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- a sync transaction inside the async Store contract
    read: (fn) => serial.run(async () => fn(db)),
    // eslint-disable-next-line @typescript-eslint/require-await -- same
    write: (fn) => serial.run(async () => transact(db, fn).result),
    close: async () => {
      await serial.run(() => Promise.resolve(undefined));
      serial.closed = true;
      db.close();
    },
  };
}

/**
 * Opens snapshot bytes (null: a new, empty database) without creating tables or migrating, and
 * returns the schema version found (0: no ledger yet; an older released version, which
 * ensureSchema migrates; or SCHEMA_VERSION). Throws LedgerDamageError for bytes that are not a
 * SQLite database and LedgerVersionError for any other version (newer, or a pre-release one); the
 * database is closed then.
 */
export function openSnapshot(
  SQL: SqlJsStatic,
  file: string,
  bytes: Uint8Array | null,
): { db: Database; found: number } {
  let db: Database | undefined;
  try {
    db = openDatabase(SQL, bytes);
    const found = schemaVersion(db);
    if (!openableVersion(found)) throw new LedgerVersionError(found, SCHEMA_VERSION, file);
    return { db, found };
  } catch (err) {
    db?.close();
    if (err instanceof Error && /not a database|malformed/i.test(err.message)) {
      throw new LedgerDamageError(file, `is not a valid SQLite database (${err.message}); it was left untouched`, {
        cause: err,
      });
    }
    throw err;
  }
}
