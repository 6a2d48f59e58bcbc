import { randomBytes } from 'node:crypto';
import { openSnapshot, Serial, type DbStore } from './db-store';
import { FileStore, LedgerFileError, type FileStoreOptions, type LockGuard } from './file-store';
import { entryLine, JournalFile, parseChunk } from './journal';
import { migrate } from './migrations';
import { replay, transact, type RecordedStatement } from './recorder';
import { num } from './rows';
import { SCHEMA_VERSION } from './schema';
import { loadSqlJs, type Database, type SqlJsStatic } from './sqljs';

/** The in-memory database and how far it has read the files. */
interface Replica {
  db: Database;
  /** Identity of the snapshot file it was loaded from (FileStore stamp); null before it was first written. */
  stamp: string | null;
  /** The snapshot's generation (journal_state); journal lines of another generation do not apply. */
  gen: number;
  /** The journal file followed (inode), its bytes consumed and the last sequence number applied. */
  jIno: bigint | null;
  offset: number;
  seq: number;
  /** The journal on disk is missing or belongs to another generation: a writer replaces it before appending. */
  stale: boolean;
  /** Memory may differ from the files (a failed write or compaction): reload before the next call. */
  dirty: boolean;
  /** Migrated in memory by a reader: the next writer persists it as a new snapshot. */
  unpersisted: boolean;
}

/** A write transaction waiting for (or run in) a group commit, with what its caller gets. */
interface Pending {
  fn: (db: Database) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/** Thrown while following the journal when a line does not continue the replica; the store reloads. */
class Diverged extends Error {}

/** A fresh generation for a new or migrated snapshot: random, so a leftover journal never matches it (48 bits). */
function freshGeneration(): number {
  return randomBytes(6).readUIntBE(0, 6);
}

function generation(db: Database, version: number): number {
  return version >= 4 ? num(db, 'SELECT generation FROM journal_state WHERE id = 1') : 0;
}

/**
 * A ledger database persisted at `file` as a snapshot plus `<file>.journal`, shared with other
 * processes (format in journal.ts).
 * - write: lock → catch up (reload the snapshot if its identity changed, else apply the journal's
 *   new lines) → transaction → append one line + fdatasync → unlock; past `journalMaxBytes` or
 *   `journalMaxLines` the writer then folds everything into a new snapshot (generation + 1,
 *   written atomically) and replaces the journal with an empty one of that generation. A hold
 *   starts in setImmediate, and writes queued in this process before it starts share it (group
 *   commit, commitBatch): those of the same turn of the event loop, and those queued while an
 *   earlier hold runs. One lock, one catch-up, their transactions one by one, their lines in one
 *   append + fdatasync.
 * - read: the same catch-up without the lock. It sees a committed prefix: the snapshot it loaded
 *   plus the complete lines present when it read; an up-to-date reader pays two stat calls.
 * - open: loads without the lock; a new file, or one needing a migration, is written under the
 *   lock as a new snapshot with a fresh generation.
 * A kill mid-append leaves a torn last line (ignored by readers, cut by the next writer); a kill
 * mid-compaction leaves the old snapshot + journal, or the new snapshot + a journal of the old
 * generation, which is ignored and replaced. Throws LedgerFileError (cannot lock/read/write, not a
 * database, snapshot or journal vanished, journal corrupt) or LedgerVersionError (newer Offload).
 */
export async function fileDbStore(file: string, opts: FileStoreOptions = {}): Promise<DbStore> {
  const SQL: SqlJsStatic = await loadSqlJs();
  const files = new FileStore(file, opts);
  const journal = new JournalFile(`${file}.journal`);
  const maxBytes = opts.journalMaxBytes ?? 4 * 2 ** 20;
  const maxLines = opts.journalMaxLines ?? 5000;

  /** Applies the journal lines `r` has not seen. 'reload' when only a full reload can catch up. */
  async function follow(r: Replica): Promise<'ok' | 'reload'> {
    const st = await journal.stat();
    if (!st) {
      if (r.seq > 0) throw new LedgerFileError(`ledger journal ${journal.path} disappeared with committed transactions in it; refusing to continue (restore it, or restart to accept the loss)`);
      Object.assign(r, { jIno: null, offset: 0, stale: true });
      return 'ok';
    }
    if (st.ino !== r.jIno || st.size < r.offset) {
      if (r.seq > 0) return 'reload'; // replaced or cut below what we applied
      Object.assign(r, { jIno: st.ino, offset: 0, stale: false });
    }
    if (st.size === r.offset) return 'ok';
    const bytes = await journal.readFrom(st.ino, r.offset);
    if (!bytes) return 'reload';
    const chunk = parseChunk(journal.path, bytes, r.offset);
    if (r.offset === 0) {
      if (chunk.header !== r.gen) {
        if ((await files.stamp()) !== r.stamp) return 'reload'; // a newer snapshot came with this journal
        Object.assign(r, { offset: bytes.length, stale: true }); // left by an interrupted compaction
        return 'ok';
      }
      r.offset = chunk.headerEnd;
    }
    for (const { entry, end } of chunk.entries) {
      if (entry.g !== r.gen || entry.n !== r.seq + 1) throw new Diverged(`journal line ${entry.g}/${entry.n} does not follow ${r.gen}/${r.seq}`);
      try {
        replay(r.db, entry.s);
      } catch (err) {
        throw new Diverged(`journal line ${entry.g}/${entry.n} does not apply: ${(err as Error).message}`);
      }
      r.seq = entry.n;
      r.offset = end;
    }
    return 'ok';
  }

  /** Writes `r` as a new snapshot (generation `gen`) and an empty journal for it. Call holding the lock. */
  async function writeSnapshot(r: Replica, gen: number, guard: LockGuard): Promise<void> {
    r.db.run('UPDATE journal_state SET generation = ? WHERE id = 1', [gen]); // carried by the snapshot, never journaled
    Object.assign(r, { gen, stale: true, unpersisted: false });
    r.stamp = await files.write(r.db.export(), guard);
    const st = await journal.reset(gen, guard);
    Object.assign(r, { jIno: st.ino, offset: st.size, seq: 0, stale: false });
  }

  /**
   * Loads snapshot + journal from scratch. With `guard` (lock held) a missing file is created and a
   * migration is persisted; without, a missing file is an error and a migration stays in memory.
   */
  async function load(guard: LockGuard | null): Promise<Replica> {
    for (let attempt = 0; ; attempt++) {
      const snap = await files.read();
      if (!snap && !guard) throw new LedgerFileError(`ledger ${file} no longer exists; refusing to start a new one silently (restart to create it)`);
      const { db, found } = openSnapshot(SQL, file, snap?.bytes ?? null);
      const r: Replica = { db, stamp: snap?.stamp ?? null, gen: generation(db, found), jIno: null, offset: 0, seq: 0, stale: false, dirty: false, unpersisted: false };
      try {
        const outcome = snap ? await follow(r) : 'ok';
        if (outcome === 'reload') {
          db.close();
          if (attempt < 10) continue;
          throw new LedgerFileError(`ledger ${file} kept changing while it was being read; try again`);
        }
        if (!snap || found !== SCHEMA_VERSION) {
          migrate(db);
          if (guard) await writeSnapshot(r, freshGeneration(), guard);
          else r.unpersisted = true;
        }
        return r;
      } catch (err) {
        db.close();
        if (err instanceof Diverged) throw new LedgerFileError(`ledger journal ${journal.path} does not match ${file} (${err.message}); both were left untouched`, { cause: err });
        throw err;
      }
    }
  }

  let replica = await (async () => {
    if ((await files.stamp()) !== null) {
      const r = await load(null);
      if (!r.unpersisted) return r;
      r.db.close();
    }
    return files.withLock((guard) => load(guard));
  })();

  async function reload(guard: LockGuard | null): Promise<void> {
    const next = await load(guard);
    replica.db.close();
    replica = next;
  }

  /** Brings the replica up to date with the files (see fileDbStore). */
  async function catchUp(guard: LockGuard | null): Promise<void> {
    if (replica.dirty || (guard && replica.unpersisted)) return reload(guard);
    const stamp = await files.stamp();
    if (stamp === null) throw new LedgerFileError(`ledger ${file} no longer exists; refusing to start a new one silently (restart to create it)`);
    if (stamp !== replica.stamp) return reload(guard);
    let outcome: 'ok' | 'reload';
    try {
      outcome = await follow(replica);
    } catch (err) {
      if (!(err instanceof Diverged)) throw err;
      outcome = 'reload';
    }
    if (outcome === 'reload') await reload(guard);
  }

  /**
   * One lock hold for a batch of write transactions (group commit): catch up, run each transaction
   * (its own BEGIN … COMMIT; one that throws is rolled back and fails alone), append one journal
   * line per changing transaction in a single write + fdatasync, then settle every caller. Nothing
   * is reported before that fdatasync. When the append fails, every transaction from the first
   * changing one on fails with its error (they committed, or saw commits, only in memory) and the
   * replica reloads before the next call. A lock or catch-up failure fails the whole batch.
   */
  async function commitBatch(batch: Pending[], guard: LockGuard): Promise<void> {
    await catchUp(guard);
    const r = replica;
    if (r.stale || r.jIno === null) {
      const st = await journal.reset(r.gen, guard);
      Object.assign(r, { jIno: st.ino, offset: st.size, seq: 0, stale: false });
    }
    const lines: string[] = [];
    let firstChange = batch.length;
    try {
      for (const [i, item] of batch.entries()) {
        let committed: { result: unknown; statements: RecordedStatement[] };
        try {
          committed = transact(r.db, item.fn);
        } catch (err) {
          item.outcome = { ok: false, error: err }; // rolled back: this caller's own error
          continue;
        }
        item.outcome = { ok: true, value: committed.result };
        if (committed.statements.length === 0) continue;
        firstChange = Math.min(firstChange, i);
        lines.push(entryLine({ g: r.gen, n: r.seq + lines.length + 1, s: committed.statements }));
      }
      if (lines.length === 0) return;
      r.offset = await journal.append(r.jIno as bigint, r.offset, lines.join(''), guard);
      r.seq += lines.length;
    } catch (err) {
      r.dirty = true; // memory holds changes the files may not: reload before the next call
      for (const item of batch.slice(firstChange)) if (item.outcome?.ok !== false) item.outcome = { ok: false, error: err };
      return;
    }
    if (r.offset >= maxBytes || r.seq >= maxLines) {
      // The transactions are durable in the journal already; a failed compaction is retried by the next write.
      await writeSnapshot(r, r.gen + 1, guard).catch(() => { r.dirty = true; });
    }
  }

  const serial = new Serial();
  /** Writes waiting for the next lock hold; null once that hold started (or a read was queued after them). */
  let gathering: Pending[] | null = null;
  /** The gathering batch's hold, not queued on `serial` yet: it starts once this turn of the event loop has run its I/O callbacks. */
  let deferred: { batch: Pending[]; immediate: NodeJS.Immediate } | null = null;

  function hold(batch: Pending[]): void {
    void serial.run(async () => {
      if (gathering === batch) gathering = null;
      try {
        await files.withLock((guard) => commitBatch(batch, guard));
      } catch (err) {
        for (const it of batch) it.outcome = { ok: false, error: err };
      }
      for (const it of batch) {
        const o = it.outcome ?? { ok: false, error: new Error('ledger write was not run') };
        if (o.ok) it.resolve(o.value);
        else it.reject(o.error);
      }
    });
  }

  /** Queues the deferred hold now, so that what is queued next runs after it. */
  function undefer(): void {
    if (!deferred) return;
    clearImmediate(deferred.immediate);
    const { batch } = deferred;
    deferred = null;
    hold(batch);
  }

  function write(fn: (db: Database) => unknown): Promise<unknown> {
    if (serial.closed) return Promise.reject(new Error('the ledger is closed'));
    return new Promise((resolve, reject) => {
      const item: Pending = { fn, resolve, reject };
      if (gathering) {
        gathering.push(item);
        return;
      }
      const batch = [item];
      gathering = batch;
      // The hold starts in setImmediate, after the I/O callbacks of this turn of the event loop: requests that arrived together
      // (their reserves, or the settles of answers that came back together) then share one lock and one fdatasync, which are
      // synchronous and would otherwise be paid once per request. Alone, a write waits only for the rest of this turn.
      const immediate = setImmediate(() => {
        deferred = null;
        hold(batch);
      });
      deferred = { batch, immediate };
    });
  }

  return {
    read: (fn) => {
      undefer(); // a read sees the writes queued before it
      gathering = null; // writes queued after this read run after it
      return serial.run(async () => {
        await catchUp(null);
        return fn(replica.db);
      });
    },
    write: write as DbStore['write'],
    close: async () => {
      undefer();
      gathering = null;
      await serial.run(async () => undefined);
      serial.closed = true;
      journal.close();
      replica.db.close();
    },
  };
}
