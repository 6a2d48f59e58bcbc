import { promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { assertWritable, LedgerDamageError, LedgerFileError } from './damage';
import type { Timers } from '../core/timers';
import { LockBusyError, takeLock, type HeldLock } from './file-lock';

export { LedgerFileError } from './damage';

/** Tuning of the cross-process lock and the journal. Defaults suit many processes contending for short writes. */
export interface FileStoreOptions {
  /** A lock not refreshed for this long is taken over (its holder died), ms. Default 10000, minimum 2000. */
  staleMs?: number;
  /** Attempts after the first while the lock is held elsewhere (backoff 10 → 200 ms, randomized). Default 100 (~20–35 s). */
  lockRetries?: number;
  /** The writer folds the journal into a new snapshot once it holds this many bytes. Default 4 MiB. */
  journalMaxBytes?: number;
  /** … or this many transactions, whichever comes first. Default 5000. */
  journalMaxLines?: number;
  /** The clock the lock's waits between attempts sleep on. Default globalThis. */
  timers?: Timers;
}

/** The bytes of the file and the stamp (inode, size, mtime in ns) of exactly those bytes. */
export interface FileSnapshot {
  bytes: Uint8Array;
  stamp: string;
}

/** Proof that the lock is still ours; `assertHeld` throws LedgerFileError once it was compromised. */
export interface LockGuard {
  assertHeld(): void;
}

function stampOf(st: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}`;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The database bytes at one path, shared by processes: a cross-process lock (file-lock.ts,
 * proper-lockfile: a sibling `<path>.lock` directory), change detection by stamp, and atomic
 * replacement (write-file-atomic, then an fsync of the folder), so the file on disk is always one
 * complete database.
 */
export class FileStore {
  readonly lockPath: string;

  constructor(
    readonly path: string,
    private readonly opts: FileStoreOptions = {},
  ) {
    this.lockPath = `${path}.lock`;
  }

  /**
   * Runs `fn` holding the lock (file-lock.ts: proper-lockfile's sibling `<path>.lock` directory), creating the parent folder when needed. Throws LedgerFileError when the lock cannot
   * be taken in time. A failure to release is ignored: the work is done and a lock left behind goes
   * stale in `staleMs`.
   */
  async withLock<T>(fn: (guard: LockGuard) => Promise<T>): Promise<T> {
    let lock: HeldLock;
    try {
      lock = await takeLock(this.lockPath, {
        staleMs: this.opts.staleMs ?? 10_000,
        retries: this.opts.lockRetries ?? 100,
        timers: this.opts.timers,
      });
    } catch (err) {
      throw new LedgerDamageError(
        this.lockPath,
        err instanceof LockBusyError
          ? 'stayed locked by another process through every attempt; nothing was changed (a hung Offload process holds it: end it, or remove the folder when none runs)'
          : `cannot be taken as the ledger's lock (${describe(err)}); nothing was changed`,
        { cause: err },
      );
    }
    const guard: LockGuard = {
      assertHeld: () => {
        const lost = lock.compromised;
        if (lost)
          throw new LedgerFileError(`lost the lock on ledger ${this.path} (${lost.message}); nothing was written`, {
            cause: lost,
          });
      },
    };
    try {
      return await fn(guard);
    } finally {
      await lock.release();
    }
  }

  /** The stamp of the file now, or null when it does not exist. Throws LedgerDamageError when it is read-only, LedgerFileError on other errors. */
  // eslint-disable-next-line @typescript-eslint/require-await -- one sync stat (~10 µs) behind the async contract; its throws reach callers as rejections
  async stamp(): Promise<string | null> {
    try {
      const st = statSync(this.path, { bigint: true }); // sync: one stat per catch-up, ~10 µs
      assertWritable(this.path, st.mode);
      return stampOf(st);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if (err instanceof LedgerFileError) throw err;
      throw new LedgerFileError(`cannot read ledger ${this.path}: ${describe(err)}`, { cause: err });
    }
  }

  /** The file's bytes with their stamp (both from one open file), or null when it does not exist. Throws LedgerFileError. */
  async read(): Promise<FileSnapshot | null> {
    // Asynchronous, in one read call for the whole file (not readFile's 512 KiB chunks): a 100k-job
    // snapshot is ~110 MiB, whose synchronous read blocked the event loop for ~55 ms. The snapshot is
    // never changed in place (only replaced by rename), so its size is fixed.
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(this.path, 'r');
      const st = await handle.stat({ bigint: true });
      assertWritable(this.path, st.mode);
      const bytes = Buffer.allocUnsafe(Number(st.size));
      let got = 0;
      while (got < bytes.length) {
        const { bytesRead } = await handle.read(bytes, got, bytes.length - got, got);
        if (bytesRead === 0) throw new Error(`file ended at byte ${got} of ${bytes.length}`);
        got += bytesRead;
      }
      return { bytes, stamp: stampOf(st) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if (err instanceof LedgerFileError) throw err;
      throw new LedgerFileError(`cannot read ledger ${this.path}: ${describe(err)}`, { cause: err });
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  /**
   * Replaces the file with `bytes` atomically (replaceAtomically: check the lock is still ours,
   * temp file beside it, fsync, rename over, fsync the folder). Returns the new stamp. Throws LedgerFileError; the
   * old file is then intact.
   */
  async write(bytes: Uint8Array, guard: LockGuard): Promise<string> {
    await replaceAtomically(this.path, bytes, guard, 'ledger');
    const stamp = await this.stamp();
    if (stamp === null) throw new LedgerFileError(`ledger ${this.path} vanished right after it was written`);
    return stamp;
  }
}

/**
 * Replaces `target` with `bytes` atomically (write-file-atomic: a temp file beside it, written,
 * fsynced and renamed over the target, mode 0600; the temp file is removed on failure and on exit),
 * then fsyncs the folder so the rename survives power loss. Checks `guard` first: a writer that
 * lost the lock writes nothing. Throws LedgerFileError naming `what` ("ledger", "ledger journal");
 * the old file is then intact.
 */
export async function replaceAtomically(
  target: string,
  bytes: Uint8Array | string,
  guard: LockGuard,
  what: string,
): Promise<void> {
  guard.assertHeld();
  try {
    await writeFileAtomic(
      target,
      typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      { mode: 0o600 },
    );
  } catch (err) {
    throw new LedgerFileError(`cannot write ${what} ${target}: ${describe(err)}`, { cause: err });
  }
  await syncDir(path.dirname(target));
}

/** fsync a folder so a rename in it survives power loss. Not possible on Windows; skipped there. */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM/EINVAL on platforms that cannot fsync a directory: the rename is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
