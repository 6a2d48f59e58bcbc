import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { sleep, type Timers } from '../core/timers';

/** A cross-process lock this process holds (proper-lockfile). */
export interface HeldLock {
  /** Set once the lock was found taken over or removed while held (then it is no longer ours). */
  readonly compromised: Error | null;
  /** Removes the lock directory (not when compromised: it is someone else's then). Never rejects. */
  release(): Promise<void>;
}

/** How a lock is taken. */
export interface FileLockOptions {
  /** A lock directory not refreshed for this long belongs to a process that died and is taken over, ms (minimum 2000). */
  staleMs: number;
  /** Attempts after the first while a live holder has it (waits 10 → 200 ms, randomized, between them). */
  retries: number;
  /** The clock the waits between attempts sleep on. Default globalThis (proper-lockfile's own refresh timer always runs on the global one). */
  timers?: Timers;
}

/** Thrown (code 'ELOCKED') when the lock stayed held elsewhere through every attempt. */
export class LockBusyError extends Error {
  override name = 'LockBusyError';
  readonly code = 'ELOCKED';
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** True when `p` exists and is not a directory (then it can never be taken as a lock). */
async function isFile(p: string): Promise<boolean> {
  try {
    return !(await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Takes the cross-process lock `lockPath`, a directory, with proper-lockfile (mkdir is atomic; the
 * holder refreshes the directory's mtime every staleMs / 2; a directory not refreshed for
 * `staleMs` belongs to a holder that died and is removed and taken; release removes it; a process
 * that exits holding it removes it on exit). Creates the missing parent folder. While a live
 * holder has it, retries `retries` times. Throws LockBusyError when it stayed held, an Error
 * naming the fix when `lockPath` is a file, or the fs error (EACCES, EROFS, …) at once: only a
 * held lock is worth waiting for.
 */
export async function takeLock(lockPath: string, opts: FileLockOptions): Promise<HeldLock> {
  let compromised: Error | null = null;
  const options: lockfile.LockOptions = {
    lockfilePath: lockPath,
    realpath: false, // the ledger file itself may not exist yet
    stale: Math.max(opts.staleMs, 2000),
    onCompromised: (err) => {
      compromised = new Error(`lock ${lockPath} was taken over or removed while held (${err.message})`, { cause: err });
    },
  };
  let release: () => Promise<void>;
  for (let attempt = 0, madeFolder = false; ;) {
    try {
      release = await lockfile.lock(lockPath, options);
      break;
    } catch (err) {
      if (code(err) === 'ENOENT' && !madeFolder) {
        // the folder does not exist yet
        await fs.mkdir(path.dirname(lockPath), { recursive: true });
        madeFolder = true;
        continue;
      }
      if (await isFile(lockPath))
        throw new Error(`${lockPath} is a file, not a lock folder: remove it when no Offload process runs`, {
          cause: err,
        });
      if (code(err) !== 'ELOCKED') throw err;
      if (attempt++ >= opts.retries) throw new LockBusyError(`${lockPath} is held by another process`, { cause: err });
      const wait = Math.min(200, 10 * 1.2 ** attempt * (1 + Math.random()));
      await sleep(opts.timers ?? globalThis, wait);
    }
  }
  let released = false;
  return {
    get compromised() {
      return compromised;
    },
    async release() {
      if (released) return;
      released = true;
      if (compromised) return;
      await release().catch(() => undefined); // left behind, it goes stale in staleMs
    },
  };
}
