import { foldInWorker } from './compaction';
import { LedgerDamageError, LedgerFileError, snapshotDamage } from './damage';
import { openSnapshot, type DbStore } from './db-store';
import { FileStore, type LockGuard } from './file-store';
import { GroupCommit, type Pending } from './group-commit';
import { entryLine, JournalFile, parseChunk } from './journal';
import type { JournaledStoreOptions, StoreState } from './journaled-store-options';
import { freshGeneration, journalState, wentBack, type Replica } from './lineage';
import { replay, transact, type RecordedStatement } from './recorder';
import { ensureSchema, SCHEMA_VERSION } from './schema';
import { loadSqlJs, type Database, type SqlJsStatic } from './sqljs';

/** Thrown while following the journal when a line does not continue the replica; the store reloads. */
class Diverged extends Error {}

/**
 * Thrown by a lock-free read that found the journal header's record count ahead of its complete
 * records. A writer rewrites the header (at the front of the file) right after appending, so a
 * reader whose read ended at the size it saw a moment before cannot tell a cut journal from an
 * append in flight; the caller reads again holding the lock, when no append is in flight.
 */
class NeedsLock extends Error {}

export type { JournaledStoreOptions, StoreState } from './journaled-store-options';

/**
 * A ledger database persisted at `file` as a snapshot plus `<file>.journal`, shared with other
 * processes (format in journal.ts).
 * - write: lock → catch up (reload the snapshot if its identity changed, else apply the journal's
 *   new lines) → transaction → append one line + fdatasync → unlock; past `journalMaxBytes` or
 *   `journalMaxLines` the writer then folds everything into a new snapshot (generation + 1,
 *   written atomically) and replaces the journal with an empty one of that generation. A locked
 *   batch starts in setImmediate, and writes queued in this process before it starts share it (group
 *   commit: group-commit.ts queues them, commitBatch runs them): those of the same turn of the event loop, and those queued while an
 *   earlier batch runs. One lock, one catch-up, their transactions one by one, their lines in one
 *   append + fdatasync.
 * - read: the same catch-up without the lock (again under it when the journal header counts more
 *   records than it found: lockFree). It sees a committed prefix: the snapshot it loaded
 *   plus the complete lines present when it read; an up-to-date reader pays two stat calls.
 * - open: loads without the lock; a new file, or a SQLite file without the ledger's tables, is written under the
 *   lock as a new snapshot with a fresh generation.
 * A kill mid-append leaves a torn last line (ignored by readers, cut by the next writer); a kill
 * mid-compaction leaves the old snapshot + journal, or the new snapshot + a journal of the old
 * generation, which is ignored and replaced.
 *
 * Integrity (ARCHITECTURE.md): a new ledger is created only where neither file exists (or only the
 * journal of a creation that was cut short, holding no record). The snapshot records its
 * generation and what it folded in (the previous generation and its last record); the journal's
 * header names its generation and the number of its last record. Every other mismatch — a snapshot
 * missing, empty, truncated or garbage, a journal missing, empty, cut below its last record, out of
 * sequence, of a generation the snapshot does not continue, a file read-only, a lock that cannot be
 * taken, or files that went back while this process had read further — throws LedgerDamageError
 * naming the file, in every call of every process, until `ledger repair`. Also throws
 * LedgerFileError (cannot lock/read/write) or LedgerVersionError (a newer or a pre-release Offload's schema).
 */
export async function fileDbStore(
  file: string,
  opts: JournaledStoreOptions = {},
): Promise<DbStore & { state(): StoreState }> {
  const SQL: SqlJsStatic = await loadSqlJs();
  const files = new FileStore(file, opts);
  const journal = new JournalFile(`${file}.journal`, opts.notice);
  const maxBytes = opts.journalMaxBytes ?? 4 * 2 ** 20;
  const maxLines = opts.journalMaxLines ?? 5000;

  /** Applies the journal lines `r` has not seen. 'reload' when only a full reload can catch up. Throws LedgerDamageError. */
  async function follow(r: Replica, strict: boolean): Promise<'ok' | 'reload'> {
    const st = await journal.stat();
    if (!st) {
      if (r.bare && r.seq === 0) {
        Object.assign(r, { jIno: null, offset: 0, stale: true });
        return 'ok';
      }
      throw new LedgerDamageError(
        journal.path,
        r.seq > 0
          ? `disappeared with ${r.seq} committed records of generation ${r.gen} in it`
          : `is missing: the snapshot ${file} (generation ${r.gen}) is always written with a journal beside it, so the journal was deleted or moved`,
      );
    }
    if (st.ino === r.jIno && st.size < r.offset) {
      throw new LedgerDamageError(
        journal.path,
        `was cut to ${st.size} bytes, below the ${r.offset} bytes (record ${r.seq} of generation ${r.gen}) already committed`,
      );
    }
    if (st.ino !== r.jIno) {
      if (r.seq > 0) return 'reload'; // replaced (compaction): the snapshot changed too
      Object.assign(r, { jIno: st.ino, offset: 0, stale: false });
    }
    if (st.size === 0)
      throw new LedgerDamageError(journal.path, 'is empty (0 bytes): a journal always starts with its header line');
    if (st.size === r.offset) {
      if (r.jMtime === null || st.mtimeNs === r.jMtime || r.stale) return 'ok';
      if (r.seq > 0 || r.offset > 0) return 'reload'; // rewritten in place at the same size: only a full read can tell how
    }
    const read = await journal.readFrom(st.ino, r.offset);
    if (!read) return 'reload';
    const bytes = read.bytes;
    r.jMtime = read.mtimeNs;
    const fromStart = r.offset === 0;
    const chunk = parseChunk(journal.path, bytes, r.offset);
    if (fromStart) {
      if (chunk.header === null)
        throw new LedgerDamageError(journal.path, 'has no valid header line (garbage where the generation should be)');
      if (chunk.header !== r.gen) {
        if ((await files.stamp()) !== r.stamp) return 'reload'; // a newer snapshot came with this journal
        const newest = Math.max(chunk.entries.at(-1)?.entry.n ?? 0, chunk.last ?? 0);
        if (r.prevGen !== null && (chunk.header !== r.prevGen || newest > r.folded)) {
          throw new LedgerDamageError(
            journal.path,
            `belongs to generation ${chunk.header} (records up to ${newest}), but the snapshot ${file} is generation ${r.gen} and folded in generation ${r.prevGen} only up to record ${r.folded}: the snapshot is older than the journal, or the two come from different ledgers`,
          );
        }
        Object.assign(r, { offset: bytes.length, stale: true }); // left by an interrupted compaction: every record is in the snapshot
        return 'ok';
      }
      r.offset = chunk.headerEnd;
      r.marked = chunk.last !== null;
    }
    for (const { entry, end } of chunk.entries) {
      if (entry.g !== r.gen || entry.n !== r.seq + 1)
        throw new Diverged(`journal line ${entry.g}/${entry.n} does not follow ${r.gen}/${r.seq}`);
      try {
        replay(r.db, entry.s);
      } catch (err) {
        throw new Diverged(`journal line ${entry.g}/${entry.n} does not apply: ${(err as Error).message}`);
      }
      r.seq = entry.n;
      r.offset = end;
    }
    const last = fromStart ? chunk.last : read.headerLast;
    if (last !== null && r.seq < last) {
      if (!strict) throw new NeedsLock();
      r.dirty = true; // it applied what is there: reload (and find the damage again) on every later call
      throw new LedgerDamageError(
        journal.path,
        `is truncated: its header records ${last} records of generation ${r.gen}, only ${r.seq} complete ones are left`,
      );
    }
    return 'ok';
  }

  /**
   * Writes `r` as a new snapshot (generation `gen`, folding in r's generation up to its last
   * record) and an empty journal for it. Call holding the lock. A new ledger (`fresh`) writes the
   * journal first, so a creation cut short leaves a journal with no record (created again), never
   * a snapshot without its journal. A compaction (`compact`: r is caught up, its files are
   * snapshot + r.seq journal records) builds the bytes in a worker thread from those files
   * (compaction.ts), so the export of a large ledger does not block the event loop; if the worker
   * fails, they are exported here.
   */
  async function writeSnapshot(
    r: Replica,
    gen: number,
    guard: LockGuard,
    how: 'fresh' | 'adopt' | 'compact',
  ): Promise<void> {
    if (opts.readOnly) throw new LedgerFileError(`ledger ${file} is open read-only; nothing was written`);
    const folded = { prevGen: r.gen, folded: r.seq };
    let bytes: Uint8Array | null = null;
    if (how === 'compact' && r.stamp !== null) {
      bytes = await (opts.fold ?? foldInWorker)({
        snapshot: file,
        journal: journal.path,
        stamp: r.stamp,
        gen: r.gen,
        seq: r.seq,
        offset: r.offset,
        newGen: gen,
      }).catch((err: unknown) => {
        (opts.notice ?? ((m: string) => process.emitWarning(m, 'OffloadLedger')))(
          `ledger ${file}: compaction in a worker thread failed (${(err as Error).message}); compacted on the main thread instead`,
        );
        return null;
      });
    }
    // carried by the snapshot, never journaled
    r.db.run('UPDATE journal_state SET generation = ?, prev_generation = ?, folded_seq = ? WHERE id = 1', [
      gen,
      r.gen,
      r.seq,
    ]);
    if (how === 'fresh') await journal.reset(gen, guard);
    r.stamp = await files.write(bytes ?? r.db.export(), guard);
    Object.assign(r, { gen, ...folded, seq: 0, stale: true, unpersisted: false, bare: false });
    const st = how === 'fresh' ? await journal.stat() : await journal.reset(gen, guard);
    if (!st) throw new LedgerFileError(`ledger journal ${journal.path} vanished right after it was written`);
    Object.assign(r, { jIno: st.ino, jMtime: st.mtimeNs, offset: st.size, stale: false, marked: true });
  }

  /** What the journal says when the snapshot is missing: why a ledger existed here, or null when none did. */
  async function journalShowsLedger(): Promise<string | null> {
    const st = await journal.stat();
    if (!st) return null;
    let chunk;
    try {
      chunk = parseChunk(journal.path, (await journal.readFrom(st.ino, 0))?.bytes ?? Buffer.alloc(0), 0);
    } catch {
      return `its journal ${journal.path} exists (and is corrupt)`;
    }
    if (chunk.header === null) return `its journal ${journal.path} exists (without a valid header)`;
    const newest = Math.max(chunk.entries.at(-1)?.entry.n ?? 0, chunk.last ?? 0);
    return newest > 0
      ? `its journal ${journal.path} holds records up to ${newest} of generation ${chunk.header}`
      : null;
  }

  /**
   * Loads snapshot + journal from scratch. With `guard` (lock held) a missing file is created and a bare
   * file's tables (or a migration) persisted; without, a missing file is an error and new tables stay in
   * memory, or for the opener's `probe` (it reloads under the lock) are not built: a migration is slow.
   */
  async function load(guard: LockGuard | null, quiet = false, probe = false): Promise<Replica> {
    for (let attempt = 0; ; attempt++) {
      const snap = await files.read();
      if (!snap) {
        const existed = await journalShowsLedger();
        if (existed)
          throw new LedgerDamageError(
            file,
            `is missing, but ${existed}: a ledger existed here, so a new one is not created`,
          );
        if (!guard) throw new LedgerDamageError(file, 'no longer exists; refusing to start a new one silently');
      }
      const damage = snap ? snapshotDamage(snap.bytes) : null;
      if (damage) throw new LedgerDamageError(file, damage);
      const { db, found } = openSnapshot(SQL, file, snap?.bytes ?? null);
      const r: Replica = {
        db,
        stamp: snap?.stamp ?? null,
        ...journalState(db, found),
        marked: false,
        jIno: null,
        jMtime: null,
        offset: 0,
        seq: 0,
        stale: false,
        dirty: false,
        unpersisted: false,
      };
      try {
        const outcome = snap ? await follow(r, guard !== null || quiet) : 'ok';
        if (outcome === 'reload') {
          db.close();
          if (attempt < 10) continue;
          throw new LedgerFileError(`ledger ${file} kept changing while it was being read; try again`);
        }
        if (!snap || found !== SCHEMA_VERSION) {
          // A new ledger, a bare SQLite file, or an older version after its journal was applied: the
          // new tables or the migration are written as a new snapshot (never journaled), so a process
          // of the older version reloads it and refuses it (LedgerVersionError) instead of writing on.
          if (probe && !guard) return Object.assign(r, { unpersisted: true });
          ensureSchema(db);
          const gen = found === 0 ? freshGeneration() : r.gen + 1;
          if (guard && !opts.readOnly) await writeSnapshot(r, gen, guard, snap ? 'adopt' : 'fresh');
          else r.unpersisted = true;
        }
        return r;
      } catch (err) {
        db.close();
        if (err instanceof Diverged)
          throw new LedgerDamageError(
            journal.path,
            `is out of sequence with the snapshot ${file} (${err.message}); both were left untouched`,
            { cause: err },
          );
        throw err;
      }
    }
  }

  /**
   * Runs a lock-free read (`fn(null, quiet)`); when it meets NeedsLock, reads again holding the lock,
   * where a header ahead of the records is damage. A read-only store never takes the lock: it
   * retries lock-free, and its last try (`quiet`) takes a mismatch as damage.
   */
  async function lockFree<T>(fn: (guard: LockGuard | null, quiet: boolean) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(null, opts.readOnly === true && attempt >= 9);
      } catch (err) {
        if (!(err instanceof NeedsLock)) throw err;
      }
      if (!opts.readOnly) return files.withLock((guard) => fn(guard, false));
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  let replica = await (async () => {
    if (opts.readOnly) return lockFree((_g, quiet) => load(null, quiet));
    if ((await files.stamp()) !== null) {
      const r = await lockFree((guard) => load(guard, false, true));
      if (!r.unpersisted) return r;
      r.db.close();
    }
    return files.withLock((guard) => load(guard));
  })();

  async function reload(guard: LockGuard | null, quiet = false): Promise<void> {
    const next = await load(guard, quiet);
    const back = wentBack(replica, next, file, journal.path);
    if (back) {
      next.db.close();
      throw back;
    }
    replica.db.close();
    replica = next;
  }

  /** Brings the replica up to date with the files (see fileDbStore). */
  async function catchUp(guard: LockGuard | null, quiet = false): Promise<void> {
    if (replica.dirty || (guard && replica.unpersisted)) return reload(guard, quiet);
    const stamp = await files.stamp();
    if (stamp === null)
      throw new LedgerDamageError(file, 'disappeared while the ledger was open; refusing to start a new one silently');
    if (stamp !== replica.stamp) return reload(guard, quiet);
    let outcome: 'ok' | 'reload';
    try {
      outcome = await follow(replica, guard !== null || quiet);
    } catch (err) {
      if (!(err instanceof Diverged)) throw err;
      outcome = 'reload';
    }
    if (outcome === 'reload') await reload(guard, quiet);
  }

  /**
   * One locked batch of write transactions (group commit): catch up, run each transaction
   * (its own BEGIN … COMMIT; one that throws is rolled back and fails alone), append one journal
   * line per changing transaction in a single write + fdatasync, then settle every caller. Nothing
   * is reported before that fdatasync. When the append fails, every transaction from the first
   * changing one on fails with its error (they committed, or saw commits, only in memory) and the
   * replica reloads before the next call. A lock or catch-up failure fails the whole batch.
   */
  async function commitBatch(batch: Pending[], guard: LockGuard): Promise<void> {
    if (opts.readOnly) throw new LedgerFileError(`ledger ${file} is open read-only; nothing was written`);
    await catchUp(guard);
    const r = replica;
    if (r.stale || r.jIno === null) {
      const st = await journal.reset(r.gen, guard);
      Object.assign(r, { jIno: st.ino, jMtime: st.mtimeNs, offset: st.size, seq: 0, stale: false, marked: true });
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
      const appended = await journal.append(
        r.jIno as bigint,
        r.offset,
        lines.join(''),
        guard,
        r.marked ? { g: r.gen, n: r.seq + lines.length } : undefined,
      );
      Object.assign(r, { offset: appended.size, jMtime: appended.mtimeNs });
      r.seq += lines.length;
    } catch (err) {
      r.dirty = true; // memory holds changes the files may not: reload before the next call
      for (const item of batch.slice(firstChange))
        if (item.outcome?.ok !== false) item.outcome = { ok: false, error: err };
      return;
    }
    if (r.offset >= maxBytes || r.seq >= maxLines) {
      // The transactions are durable in the journal already; a failed compaction is retried by the next write.
      await writeSnapshot(r, r.gen + 1, guard, 'compact').catch(() => {
        r.dirty = true;
      });
    }
  }

  const queue = new GroupCommit((batch) => files.withLock((guard) => commitBatch(batch, guard)));

  return {
    state: () => ({ generation: replica.gen, records: replica.seq, journalBytes: replica.offset }),
    read: (fn) =>
      queue.read(async () => {
        await lockFree((guard, quiet) => catchUp(guard, quiet));
        return fn(replica.db);
      }),
    write: ((fn: (db: Database) => unknown) => queue.write(fn)) as DbStore['write'],
    close: async () => {
      await queue.close();
      journal.close();
      replica.db.close();
    },
  };
}
