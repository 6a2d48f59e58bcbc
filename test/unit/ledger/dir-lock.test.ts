import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { LockBusyError, takeDirLock, type HeldLock } from '../../../src/ledger/dir-lock';
import { tempDir } from './helpers';

/** Resolves once `cond()` holds, checking every 5 ms; rejects after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ledger lock directory', () => {
  let tmp: ReturnType<typeof tempDir>;
  let lockPath: string;
  beforeEach(() => {
    tmp = tempDir();
    lockPath = path.join(tmp.dir, 'ledger.sqlite.lock');
  });
  afterEach(() => tmp.cleanup());

  it('takes a free lock as a directory and removes it on release', async () => {
    const lock = await takeDirLock(lockPath, { staleMs: 10_000, retries: 0 });
    assert.ok(statSync(lockPath).isDirectory());
    assert.equal(lock.compromised, null);
    lock.release();
    assert.equal(existsSync(lockPath), false);
  });

  it('creates the missing folder of the lock', async () => {
    const deep = path.join(tmp.dir, 'a', 'b', 'ledger.sqlite.lock');
    const lock = await takeDirLock(deep, { staleMs: 10_000, retries: 0 });
    assert.ok(existsSync(deep));
    lock.release();
  });

  it('refuses a lock a live holder keeps, after its retries, with LockBusyError', async () => {
    const held = await takeDirLock(lockPath, { staleMs: 10_000, retries: 0 });
    await assert.rejects(takeDirLock(lockPath, { staleMs: 10_000, retries: 2 }), (err: unknown) => err instanceof LockBusyError && (err as LockBusyError).code === 'ELOCKED');
    held.release();
  });

  it('waits for a holder that releases while it retries', async () => {
    const held = await takeDirLock(lockPath, { staleMs: 10_000, retries: 0 });
    const waiting = takeDirLock(lockPath, { staleMs: 10_000, retries: 50 });
    setTimeout(() => held.release(), 30);
    const lock = await waiting;
    assert.ok(existsSync(lockPath));
    lock.release();
  });

  it('takes over a lock whose holder stopped refreshing it for staleMs (it died)', async () => {
    mkdirSync(lockPath);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPath, old, old);
    const lock = await takeDirLock(lockPath, { staleMs: 10_000, retries: 0 });
    assert.ok(statSync(lockPath).mtimeMs > old.getTime(), 'a fresh directory');
    lock.release();
  });

  it('keeps its lock fresh while held, so a waiting process never finds it stale', async () => {
    const lock = await takeDirLock(lockPath, { staleMs: 2000, retries: 0, updateMs: 10 });
    const first = statSync(lockPath).mtimeMs;
    await until(() => statSync(lockPath).mtimeMs !== first);
    assert.equal(lock.compromised, null);
    lock.release();
  });

  it('notices when its lock was taken over, and then leaves the new holder\'s directory alone', async () => {
    const lock: HeldLock = await takeDirLock(lockPath, { staleMs: 2000, retries: 0, updateMs: 10 });
    rmdirSync(lockPath);
    mkdirSync(lockPath);
    const theirs = new Date(Date.now() + 5_000);
    utimesSync(lockPath, theirs, theirs);
    await until(() => lock.compromised !== null);
    assert.match(lock.compromised?.message ?? '', /taken over/);
    lock.release();
    assert.ok(existsSync(lockPath), 'the other holder keeps its lock');
  });

  it('excludes and is excluded by proper-lockfile on the same path (older Offload versions lock with it)', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const release = lockfile.lockSync(file, { lockfilePath: lockPath, realpath: false, stale: 10_000 });
    await assert.rejects(takeDirLock(lockPath, { staleMs: 10_000, retries: 0 }), LockBusyError);
    release();
    const lock = await takeDirLock(lockPath, { staleMs: 10_000, retries: 0 });
    assert.throws(() => lockfile.lockSync(file, { lockfilePath: lockPath, realpath: false, stale: 10_000 }), /already being held/);
    lock.release();
  });
});
