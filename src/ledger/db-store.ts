import { FileStore, LedgerFileError, type FileStoreOptions } from './file-store';
import { migrate } from './migrations';
import { SCHEMA_VERSION } from './schema';
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

function totalChanges(db: Database): number {
  return Number(db.exec('SELECT total_changes()')[0]?.values[0]?.[0] ?? 0);
}

/** Runs `fn` in a transaction; returns its result and whether any row changed. */
function transact<T>(db: Database, fn: (db: Database) => T): { result: T; changed: boolean } {
  const before = totalChanges(db);
  db.run('BEGIN IMMEDIATE');
  try {
    const result = fn(db);
    const changed = totalChanges(db) !== before;
    db.run('COMMIT'); // before export(): sql.js cannot export inside an open transaction
    return { result, changed };
  } catch (err) {
    db.run('ROLLBACK');
    throw err;
  }
}

/** One-at-a-time execution of async tasks, in call order. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  closed = false;
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the ledger is closed'));
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** An in-memory ledger database (unit tests): no file, no lock. */
export async function memoryDbStore(): Promise<DbStore> {
  const db = openDatabase(await loadSqlJs());
  migrate(db);
  const serial = new Serial();
  return {
    read: (fn) => serial.run(async () => fn(db)),
    write: (fn) => serial.run(async () => transact(db, fn).result),
    close: async () => {
      await serial.run(async () => undefined);
      serial.closed = true;
      db.close();
    },
  };
}

/** Parses file bytes into a migrated database. Throws LedgerFileError for bytes that are not a SQLite database. */
function parse(SQL: SqlJsStatic, file: string, bytes: Uint8Array | null): { db: Database; found: number } {
  const db = openDatabase(SQL, bytes);
  try {
    return { db, found: migrate(db) };
  } catch (err) {
    db.close();
    if (err instanceof Error && /not a database|malformed/i.test(err.message)) {
      throw new LedgerFileError(`ledger ${file} is not a valid SQLite database (${err.message}); it was left untouched`, { cause: err });
    }
    throw err;
  }
}

/**
 * A ledger database persisted at `file` and shared with other processes. Opening takes the lock,
 * creates or migrates the file (writing it when it was new or older) and keeps it in memory. Every
 * write: lock → reload if the file changed → transaction → export → atomic write → unlock. Every
 * read reloads first if another process wrote. Throws LedgerFileError (cannot lock/read/write, not
 * a database) or LedgerVersionError (written by a newer Offload).
 */
export async function fileDbStore(file: string, opts: FileStoreOptions = {}): Promise<DbStore> {
  const SQL = await loadSqlJs();
  const files = new FileStore(file, opts);
  let db: Database | undefined;
  let stamp: string | null = null;

  await files.withLock(async (guard) => {
    const snap = await files.read();
    const parsed = parse(SQL, file, snap?.bytes ?? null);
    db = parsed.db;
    stamp = snap?.stamp ?? null;
    if (!snap || parsed.found !== SCHEMA_VERSION) stamp = await files.write(db.export(), guard);
  });

  const current = (): Database => db as Database;
  const reloadIfChanged = async (): Promise<void> => {
    const now = await files.stamp();
    if (now !== null && now === stamp) return;
    const snap = await files.read();
    if (!snap) throw new LedgerFileError(`ledger ${file} no longer exists; refusing to start a new one silently (restart to create it)`);
    const fresh = parse(SQL, file, snap.bytes).db;
    current().close();
    db = fresh;
    stamp = snap.stamp;
  };

  const serial = new Serial();
  return {
    read: (fn) => serial.run(async () => {
      await reloadIfChanged();
      return fn(current());
    }),
    write: (fn) => serial.run(() => files.withLock(async (guard) => {
      await reloadIfChanged();
      const { result, changed } = transact(current(), fn);
      if (!changed) return result;
      try {
        stamp = await files.write(current().export(), guard);
      } catch (err) {
        stamp = null; // memory holds a change the file does not: reload before the next call
        throw err;
      }
      return result;
    })),
    close: async () => {
      await serial.run(async () => undefined);
      serial.closed = true;
      current().close();
    },
  };
}
