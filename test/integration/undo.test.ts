import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { UndoRecord } from '../../src/core/undo';
import { openMemoryLedger, type HostLedger } from '../../src/ledger/sqlite-ledger';
import { applyJob, discardJob, sweepExpired } from '../../src/jobs/undo';
import { createWorktree, snapshot, writeTree } from '../../src/jobs/workspace';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/**
 * Points os.tmpdir() at a folder of the test's own until the returned function restores it: a sweep
 * removes every old Offload folder in the temp folder, which would also remove (and so hide from the
 * run's leftover check, test/support/tmp-leftovers.ts) what other tests left behind.
 */
function ownTmpdir(): () => void {
  const before = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'sweep-test-'));
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  };
}

describe('apply and discard (src/jobs/undo.ts) on real git repositories', () => {
  let repo: string;
  let ledger: HostLedger;
  const write = (root: string, rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const read = (root: string, rel: string) => readFileSync(join(root, rel), 'utf8');

  beforeEach(async () => {
    repo = realpathSync(mkdtempSync(join(tmpdir(), 'offload-undo-')));
    git(repo, 'init', '-q');
    git(repo, 'config', 'user.email', 't@example.com');
    git(repo, 'config', 'user.name', 'T');
    write(repo, 'src/a.js', 'one\ntwo\nthree\n');
    write(repo, 'src/gone.js', 'doomed\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'init');
    ledger = await openMemoryLedger({ caps: { monthlyMicros: 1_000_000, dailyMicros: null } });
  });
  afterEach(async () => {
    await ledger.close();
    for (const w of git(repo, 'worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree '))
      .slice(1))
      rmSync(w.slice(9), { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  /** A job whose "agent" is `edit`, run in place or in a worktree, stored ended with its workspace record. */
  async function fakeJob(edit: (dir: string) => void, worktree = false): Promise<{ id: string; dir: string }> {
    const id = `${Math.random().toString(16).slice(2, 10)}-job`;
    let dir = repo;
    let wt: UndoRecord['worktree'];
    if (worktree) {
      const made = await createWorktree(repo, id);
      ({ cwd: dir } = made);
      wt = { path: made.path, branch: made.branch, checkout: made.checkout };
    }
    const before = await snapshot(dir);
    edit(dir);
    const workspace: UndoRecord = {
      snapshot: before,
      after_tree: await writeTree(before),
      ...(wt ? { worktree: wt } : {}),
    };
    await ledger.createJob({ id, kind: 'claude-code', model: 'm', request: {}, status: 'running' });
    await ledger.updateJob(id, { status: 'completed', result: { changed_files: [], workspace } });
    return { id, dir };
  }

  const editAll = (dir: string) => {
    write(dir, 'src/a.js', 'one\nTWO\nthree\n');
    write(dir, 'src/new.js', 'created\n');
    unlinkSync(join(dir, 'src/gone.js'));
  };

  it('discard in place puts back modified and deleted files and removes created ones; a second discard is an error', async () => {
    const { id } = await fakeJob(editAll);
    const out = await discardJob(ledger, id);
    assert.deepEqual(out.files, ['src/a.js', 'src/gone.js', 'src/new.js']);
    assert.equal(read(repo, 'src/a.js'), 'one\ntwo\nthree\n');
    assert.equal(read(repo, 'src/gone.js'), 'doomed\n');
    assert.equal(existsSync(join(repo, 'src/new.js')), false);
    assert.equal(git(repo, 'status', '--porcelain'), '');
    assert.equal(((await ledger.getJob(id))!.result as { undo: { state: string } }).undo.state, 'discarded');
    await assert.rejects(
      discardJob(ledger, id),
      /job_id: job .* was already discarded at .*; a job is applied or discarded once/,
    );
    await assert.rejects(applyJob(ledger, id), /already discarded/);
  });

  it('of two concurrent undo calls of one job exactly one runs; the other is refused naming job_id', async () => {
    const { id } = await fakeJob(editAll, true);
    const results = await Promise.allSettled([applyJob(ledger, id), discardJob(ledger, id)]);
    const done = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(done.length, 1, JSON.stringify(results));
    assert.match(
      String(refused[0]!.reason),
      /job_id: (job .* was already (applied|discarded)|another apply or discard of job .* is running)/,
    );
    assert.equal(existsSync(join(repo, '.git', `offload-undo-${id}.lock`)), false, 'the undo lock is released');
  });

  it('discard refuses, naming them, files the user changed after the job, and changes nothing; force discards', async () => {
    const { id } = await fakeJob(editAll);
    write(repo, 'src/a.js', 'one\nTWO\nthree\nuser line\n');
    write(repo, 'unrelated.txt', "the user's own file\n");
    await assert.rejects(discardJob(ledger, id), (err: Error & { files?: string[] }) => {
      assert.deepEqual(err.files, ['src/a.js']);
      assert.match(
        err.message,
        /discard refused: these files changed after the job ended \(pass force: true .*\): src\/a\.js; nothing was changed/,
      );
      return true;
    });
    assert.equal(read(repo, 'src/a.js'), 'one\nTWO\nthree\nuser line\n');
    assert.equal(existsSync(join(repo, 'src/new.js')), true);
    await discardJob(ledger, id, true);
    assert.equal(read(repo, 'src/a.js'), 'one\ntwo\nthree\n');
    assert.equal(read(repo, 'unrelated.txt'), "the user's own file\n", 'files the job never touched are left alone');
  });

  it('a worktree job starts on offload/<short id> from HEAD plus uncommitted changes; apply merges it into the checkout and removes worktree and branch', async () => {
    write(repo, 'src/a.js', 'one\ntwo\nthree\nfour (uncommitted)\n');
    write(repo, 'notes.txt', 'untracked\n');
    const { id, dir } = await fakeJob((d) => {
      assert.equal(read(d, 'notes.txt'), 'untracked\n');
      write(d, 'src/a.js', 'ONE\ntwo\nthree\nfour (uncommitted)\n');
      write(d, 'src/new.js', 'created\n');
    }, true);
    assert.equal(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), `offload/${id.slice(0, 8)}`);
    write(repo, 'notes.txt', 'untracked, edited by the user meanwhile\n');
    const out = await applyJob(ledger, id);
    assert.deepEqual(out.files, ['src/a.js', 'src/new.js']);
    assert.equal(read(repo, 'src/a.js'), 'ONE\ntwo\nthree\nfour (uncommitted)\n');
    assert.equal(read(repo, 'src/new.js'), 'created\n');
    assert.equal(read(repo, 'notes.txt'), 'untracked, edited by the user meanwhile\n');
    assert.equal(existsSync(dir), false);
    assert.equal(git(repo, 'branch', '--list', 'offload/*'), '');
    assert.equal(git(repo, 'diff', '--cached', '--name-only'), '', "the user's index is untouched");
  });

  it('apply refuses a conflict with a user edit, naming the file, and leaves the checkout byte for byte as it was', async () => {
    const { id, dir } = await fakeJob((d) => {
      write(d, 'src/a.js', 'one\nJOB\nthree\n');
      write(d, 'src/new.js', 'created\n');
    }, true);
    write(repo, 'src/a.js', 'one\nUSER\nthree\n');
    const status = git(repo, 'status', '--porcelain');
    await assert.rejects(applyJob(ledger, id), (err: Error & { files?: string[] }) => {
      assert.deepEqual(err.files, ['src/a.js']);
      assert.match(
        err.message,
        /^apply refused: the checkout .* changed these files too: src\/a\.js; nothing was changed$/,
      );
      return true;
    });
    assert.equal(read(repo, 'src/a.js'), 'one\nUSER\nthree\n');
    assert.equal(existsSync(join(repo, 'src/new.js')), false, 'no file of the job was half-applied');
    assert.equal(git(repo, 'status', '--porcelain'), status);
    assert.equal(existsSync(dir), true, 'the worktree stays for a later try');
    await discardJob(ledger, id, true);
    assert.equal(existsSync(dir), false);
    assert.equal(git(repo, 'branch', '--list', 'offload/*'), '');
  });

  it('discards a job in a folder outside git through its own shadow GIT_DIR, and removes that folder', async () => {
    const plain = realpathSync(mkdtempSync(join(tmpdir(), 'offload-undo-plain-')));
    try {
      write(plain, 'a.txt', 'before\n');
      const before = await snapshot(plain);
      assert.ok(before.shadowGitDir && existsSync(before.shadowGitDir));
      write(plain, 'a.txt', 'after\n');
      write(plain, 'sub/new.txt', 'new\n');
      await ledger.createJob({ id: 'plain-1', kind: 'claude-code', model: 'm', request: {}, status: 'running' });
      await ledger.updateJob('plain-1', {
        status: 'failed',
        result: { workspace: { snapshot: before, after_tree: await writeTree(before) } },
      });
      const out = await discardJob(ledger, 'plain-1');
      assert.deepEqual(out.files, ['a.txt', 'sub/new.txt']);
      assert.equal(read(plain, 'a.txt'), 'before\n');
      assert.equal(existsSync(join(plain, 'sub')), false, 'the folder the job created is removed with its file');
      assert.deepEqual(out.removed, [before.shadowGitDir]);
      assert.equal(existsSync(before.shadowGitDir), false);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it('refuses jobs that are still running or recorded no workspace, naming job_id', async () => {
    await ledger.createJob({ id: 'running-1', kind: 'claude-code', model: 'm', request: {}, status: 'running' });
    await assert.rejects(
      applyJob(ledger, 'running-1'),
      /^InputError: job_id: job running-1 is running; wait for it to end/,
    );
    await ledger.createJob({ id: 'llm-1', kind: 'llm', model: 'm', request: {}, status: 'running' });
    await ledger.updateJob('llm-1', { status: 'completed', result: { output: 'x' } });
    await assert.rejects(discardJob(ledger, 'llm-1'), /recorded no workspace snapshot/);
    await assert.rejects(discardJob(ledger, 'nope'), /job_id: no job nope/);
  });

  it('the start-up sweep removes the worktree and branch of a job older than the retention period and marks it expired', async () => {
    const restore = ownTmpdir();
    try {
      const { id, dir } = await fakeJob((d) => write(d, 'src/a.js', 'x\n'), true);
      const fresh = await fakeJob((d) => write(d, 'src/a.js', 'y\n'), true);
      assert.equal(await sweepExpired(ledger, 7, () => undefined, new Date(Date.now() + 6 * 86_400_000)), 0);
      assert.equal(existsSync(dir), true);
      assert.equal(await sweepExpired(ledger, 7, () => undefined, new Date(Date.now() + 8 * 86_400_000)), 2);
      assert.equal(existsSync(dir), false);
      assert.equal(existsSync(fresh.dir), false);
      assert.equal(git(repo, 'branch', '--list', 'offload/*'), '');
      await assert.rejects(applyJob(ledger, id), /already expired/);
    } finally {
      restore();
    }
  });

  it('the sweep removes throwaway indexes and shadow folders older than the retention period that no job claims, and keeps newer ones', async () => {
    const restore = ownTmpdir();
    try {
      const old = mkdtempSync(join(tmpdir(), 'offload-shadow-git-'));
      const young = mkdtempSync(join(tmpdir(), 'offload-index-'));
      const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
      utimesSync(old, tenDaysAgo, tenDaysAgo);
      assert.equal(await sweepExpired(ledger, 7, () => undefined), 0);
      assert.equal(existsSync(old), false);
      assert.equal(existsSync(young), true);
      rmSync(young, { recursive: true, force: true });
    } finally {
      restore();
    }
  });
});
