import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { install } from '@sinonjs/fake-timers';
import { LockBusyError, takeLock } from '../../../src/ledger/file-lock';
import { fakeTimers, settleOn } from '../fake-clock';
import { tempDir } from './helpers';

const HOLDER = path.join(__dirname, 'fixtures', 'lock-holder.ts');

/** Runs the lock-holder fixture in its own process; resolves with it once it printed `line`. */
function holder(
  args: string[],
  line: string,
): Promise<{ child: ReturnType<typeof spawn>; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes(`${line}\n`)) resolve({ child, exited });
    });
    void exited.then((code) => reject(new Error(`lock holder exited ${code} before "${line}": ${err}`)));
  });
}

/** The real setTimeout, also while a test fakes the global one (fake-timers then fakes node:timers/promises too). */
const realSetTimeout = globalThis.setTimeout;

/** Resolves once `cond()` holds, checking every 5 ms on the real clock; rejects after `ms`. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => realSetTimeout(r, 5));
  }
}

describe('ledger cross-process lock (proper-lockfile)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let lockPath: string;
  beforeEach(() => {
    tmp = tempDir();
    lockPath = path.join(tmp.dir, 'ledger.sqlite.lock');
  });
  afterEach(() => tmp.cleanup());

  it('takes a free lock, creating its missing folder, and removes it on release', async () => {
    const deep = path.join(tmp.dir, 'a', 'b', 'ledger.sqlite.lock');
    const lock = await takeLock(deep, { staleMs: 10_000, retries: 0 });
    assert.ok(statSync(deep).isDirectory());
    assert.equal(lock.compromised, null);
    await lock.release();
    assert.equal(existsSync(deep), false);
  });

  it('refuses a lock a live holder keeps, after its retries, with LockBusyError', async () => {
    const held = await takeLock(lockPath, { staleMs: 10_000, retries: 0 });
    await assert.rejects(
      takeLock(lockPath, { staleMs: 10_000, retries: 2 }),
      (err: unknown) => err instanceof LockBusyError && err.code === 'ELOCKED',
    );
    await held.release();
  });

  it('waits for a holder that releases while it retries', async () => {
    const held = await takeLock(lockPath, { staleMs: 10_000, retries: 0 });
    const clock = fakeTimers(); // the waits between attempts sleep on it; the holder lets go 30 ms in
    const waiting = takeLock(lockPath, { staleMs: 10_000, retries: 50, timers: clock });
    clock.setTimeout(() => void held.release(), 30);
    const lock = await settleOn(clock, waiting);
    assert.ok(existsSync(lockPath));
    await lock.release();
  });

  it('refuses at once a lock path that is a file, naming the fix', async () => {
    writeFileSync(lockPath, 'not a lock folder');
    await assert.rejects(
      takeLock(lockPath, { staleMs: 10_000, retries: 100 }),
      /is a file, not a lock folder: remove it when no Offload process runs/,
    );
  });

  it('reclaims the lock of a process killed while holding it, once the lock is stale', async function () {
    this.timeout(30_000);
    const { child, exited } = await holder(['hold', lockPath], 'held');
    child.kill('SIGKILL');
    await exited;
    assert.ok(statSync(lockPath).isDirectory(), 'a killed holder cannot remove its lock');
    await assert.rejects(
      takeLock(lockPath, { staleMs: 10_000, retries: 0 }),
      LockBusyError,
      'not stale yet: it might be alive',
    );
    const old = new Date(Date.now() - 60_000); // the holder's refreshes stopped a minute ago
    utimesSync(lockPath, old, old);
    const lock = await takeLock(lockPath, { staleMs: 10_000, retries: 0 });
    assert.ok(statSync(lockPath).mtimeMs > old.getTime(), 'a fresh lock of its own');
    await lock.release();
  });

  it('serializes two processes: every read-modify-write of a shared counter under the lock survives', async function () {
    this.timeout(60_000);
    const counter = path.join(tmp.dir, 'counter');
    writeFileSync(counter, '0');
    const n = 40;
    const procs = await Promise.all([
      holder(['count', lockPath, counter, String(n)], 'done'),
      holder(['count', lockPath, counter, String(n)], 'done'),
    ]);
    await Promise.all(procs.map((p) => p.exited));
    assert.equal(Number(readFileSync(counter, 'utf8')), 2 * n);
  });

  it("notices when its lock was taken over, and then leaves the new holder's lock alone", async function () {
    // proper-lockfile schedules its refresh on the global setTimeout: that one timer is faked (and
    // fired by tick), while the lock folder, its mtime and Date stay real.
    const clock = install({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const lock = await takeLock(lockPath, { staleMs: 2000, retries: 0 });
      rmdirSync(lockPath);
      mkdirSync(lockPath);
      const theirs = new Date(Date.now() + 5_000);
      utimesSync(lockPath, theirs, theirs);
      const early = lock.compromised;
      assert.equal(early, null, 'nothing is checked before the refresh is due');
      assert.equal(clock.countTimers(), 1, 'the refresh is scheduled');
      clock.tick(1_000); // its next refresh (stale / 2)
      await until(() => lock.compromised !== null);
      assert.match(lock.compromised?.message ?? '', /taken over or removed while held/);
      await lock.release();
      assert.ok(existsSync(lockPath), 'the other holder keeps its lock');
    } finally {
      clock.uninstall();
    }
  });
});
