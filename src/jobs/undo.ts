/**
 * `apply` and `discard` of agent jobs, from any process: they work from what the job recorded in
 * the ledger (its pre/post trees and folders, core/undo.ts UndoRecord), with git plumbing only
 * (workspace/restore.ts). Both check everything before they write a file, so a refusal leaves
 * every tree as it was; both remove the job's worktree, branch and shadow git folder, and stamp the
 * job `applied` or `discarded`. `sweepExpired` does the cleanup for jobs left alone past
 * OFFLOAD_RETENTION_DAYS.
 */
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../core/errors';
import { TERMINAL_STATUSES, type JobRecord } from '../core/jobs';
import { markedResult, undoMarkOf, undoTarget, UndoRefusedError, type UndoMark, type UndoRecord } from '../core/undo';
import { LockBusyError, takeLock, type HeldLock } from '../ledger/file-lock';
import type { Ledger } from '../ledger/ledger';
import { changedBetween, mergeTrees, removeWorktree, restorePaths, writeTree } from './workspace';
import { envOf, git } from './workspace/git';

/** What apply/discard did. `files` are relative to the repository's top (of the checkout, for worktree jobs). */
export interface UndoOutcome {
  job_id: string;
  undo: UndoMark['state'];
  at: string;
  /** Files written or removed in the user's checkout (apply of a worktree job, discard in place); for an in-place apply, the job's files, kept as they are. */
  files: string[];
  /** Worktree, branch and shadow git folder removed. */
  removed: string[];
}

async function jobOf(ledger: Ledger, jobId: string): Promise<JobRecord> {
  const job = await ledger.getJob(jobId);
  if (!job) throw new InputError('job_id', `no job ${jobId}; use a job_id returned by start`);
  return job;
}

/**
 * Runs `fn` on the job's record holding a cross-process lock in the repository's git dir (the
 * shadow GIT_DIR outside git), `offload-undo-<job id>.lock`, and re-reads the job inside it, so of
 * two concurrent apply/discard calls of one job, the second sees the first's mark and is refused.
 */
async function underLock<T>(
  ledger: Ledger,
  jobId: string,
  op: 'apply' | 'discard',
  fn: (rec: UndoRecord) => Promise<T>,
): Promise<T> {
  const first = undoTarget(await jobOf(ledger, jobId), op);
  const where = first.worktree ? { dir: first.worktree.checkout } : first.snapshot;
  if (!existsSync(where.dir))
    throw new InputError(
      'job_id',
      `job ${jobId} ran in ${where.dir}, which no longer exists; there is nothing to ${op}`,
    );
  const common = resolve(where.dir, (await git(where.dir, ['rev-parse', '--git-common-dir'], envOf(where))).trim());
  let lock: HeldLock;
  try {
    lock = await takeLock(join(common, `offload-undo-${jobId}.lock`), { staleMs: 30_000, retries: 20 });
  } catch (err) {
    if (err instanceof LockBusyError)
      throw new InputError(
        'job_id',
        `another apply or discard of job ${jobId} is running; try again when it has ended`,
      );
    throw err;
  }
  try {
    return await fn(undoTarget(await jobOf(ledger, jobId), op));
  } finally {
    await lock.release();
  }
}

/** Removes what the job left on disk: its worktree and branch, its shadow GIT_DIR. Returns what it removed. */
async function cleanup(rec: UndoRecord): Promise<string[]> {
  const removed: string[] = [];
  if (rec.worktree) {
    await removeWorktree(rec.worktree);
    removed.push(rec.worktree.path, `branch ${rec.worktree.branch}`);
  }
  if (rec.snapshot.shadowGitDir) {
    await rm(rec.snapshot.shadowGitDir, { recursive: true, force: true });
    removed.push(rec.snapshot.shadowGitDir);
  }
  return removed;
}

/** Stamps the job, re-reading it first so a concurrent apply/discard of the same job is refused. */
async function mark(ledger: Ledger, jobId: string, state: UndoMark['state'], now: Date): Promise<UndoMark> {
  const fresh = await jobOf(ledger, jobId);
  const seen = undoMarkOf(fresh);
  if (seen)
    throw new InputError(
      'job_id',
      `job ${jobId} was already ${seen.state} at ${seen.at}; a job is applied or discarded once`,
    );
  const m: UndoMark = { state, at: now.toISOString() };
  await ledger.updateJob(jobId, { result: markedResult(fresh, m) });
  return m;
}

/**
 * `apply`: a worktree job's change (pre → post tree) is merged three-way into the checkout's
 * current state in the object database first; on a conflict it throws UndoRefusedError naming the
 * files and nothing is written; else the merged files are written. An in-place job's edits are
 * already in the checkout: apply keeps them. Throws InputError (unknown, running, already undone).
 */
export function applyJob(ledger: Ledger, jobId: string, now = new Date()): Promise<UndoOutcome> {
  return underLock(ledger, jobId, 'apply', async (rec) => {
    let files: string[];
    if (rec.worktree) {
      const home = { dir: rec.worktree.checkout };
      const ours = await writeTree(home);
      const merged = await mergeTrees(home, rec.snapshot.tree, ours, rec.after_tree);
      if (merged.conflicts)
        throw new UndoRefusedError(
          'apply',
          merged.conflicts,
          `the checkout ${rec.worktree.checkout} changed these files too`,
        );
      files = await changedBetween(home, ours, merged.tree);
      await restorePaths(home, merged.tree, files);
    } else {
      files = await changedBetween(rec.snapshot, rec.snapshot.tree, rec.after_tree);
    }
    const removed = await cleanup(rec);
    const m = await mark(ledger, jobId, 'applied', now);
    return { job_id: jobId, undo: m.state, at: m.at, files, removed };
  });
}

/**
 * `discard`: in place, every file the job changed goes back to the pre-job snapshot (created ones
 * removed, deleted ones restored); in a worktree, the worktree and branch are removed. Refuses
 * (UndoRefusedError naming them) when files changed after the job ended — among the job's files in
 * place, any file in the worktree — unless `force`. Throws InputError (unknown, running, already undone).
 */
export function discardJob(ledger: Ledger, jobId: string, force = false, now = new Date()): Promise<UndoOutcome> {
  return underLock(ledger, jobId, 'discard', async (rec) => {
    const home = rec.snapshot;
    let files: string[] = [];
    if (existsSync(home.dir)) {
      files = await changedBetween(home, home.tree, rec.after_tree);
      const touched = await changedBetween(home, rec.after_tree, await writeTree(home));
      const since = rec.worktree ? touched : touched.filter((f) => files.includes(f));
      if (since.length && !force)
        throw new UndoRefusedError(
          'discard',
          since,
          'these files changed after the job ended (pass force: true to discard them anyway)',
        );
      if (!rec.worktree) await restorePaths(home, home.tree, files);
    }
    const removed = await cleanup(rec);
    const m = await mark(ledger, jobId, 'discarded', now);
    return { job_id: jobId, undo: m.state, at: m.at, files: rec.worktree ? [] : files, removed };
  });
}

const DAY_MS = 86_400_000;

/** Offload's folders under the OS temp folder last changed before `cutoff` (epoch ms): throwaway indexes, shadow GIT_DIRs, job worktrees. */
async function oldTempFolders(cutoff: number): Promise<string[]> {
  const tmp = tmpdir();
  const names = await readdir(tmp).catch(() => [] as string[]);
  const worktrees = names.includes('offload-worktrees')
    ? (await readdir(join(tmp, 'offload-worktrees')).catch(() => [] as string[])).map((n) =>
        join('offload-worktrees', n),
      )
    : [];
  const candidates = [...names.filter((n) => /^offload-(index-|shadow-git)/.test(n)), ...worktrees].map((n) =>
    join(tmp, n),
  );
  const old: string[] = [];
  for (const path of candidates)
    if (
      await stat(path).then(
        (st) => st.mtimeMs < cutoff,
        () => false,
      )
    )
      old.push(path);
  return old;
}

/**
 * Start-up cleanup (OFFLOAD_RETENTION_DAYS). Only when Offload's temp folder holds folders older
 * than `retentionDays` (a few `stat`s, so start-up stays fast): ended jobs older than that (by
 * their last update; the newest 5,000 jobs are looked at) that were neither applied nor discarded
 * get their worktree, branch and shadow git folder removed and are marked `expired`; then old
 * throwaway indexes and shadow folders no job claimed (left by crashed processes) are removed.
 * Returns the number of jobs expired. Errors of one job are passed to `log`, never thrown.
 */
export async function sweepExpired(
  ledger: Ledger,
  retentionDays: number,
  log: (line: string) => void,
  now = new Date(),
): Promise<number> {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  if (!(await oldTempFolders(cutoff)).length) return 0;
  let expired = 0;
  for (const job of await ledger.listJobs(5000)) {
    if (!TERMINAL_STATUSES.has(job.status) || job.updatedAt >= cutoff || undoMarkOf(job)) continue;
    const rec = (job.result as { workspace?: UndoRecord } | null)?.workspace;
    if (!rec) continue;
    try {
      await cleanup(rec);
      await mark(ledger, job.id, 'expired', now);
      expired++;
    } catch (err) {
      log(`retention: could not clean up job ${job.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const path of await oldTempFolders(cutoff)) {
    if (!path.includes('offload-worktrees')) await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
  return expired;
}
