import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeTree } from './git';

/** A git worktree made for one job, on its own branch. */
export interface JobWorktree {
  /** The worktree's top folder (absolute). */
  path: string;
  /** The job's folder inside it: the same place relative to the repo top as the folder asked for. */
  cwd: string;
  /** The job's branch, `offload/<first 8 characters of the job id>`. */
  branch: string;
  /** The user's checkout: the top of the repository the worktree was made from (absolute). */
  checkout: string;
}

/** The branch of a job: `offload/<short job id>`. */
export const jobBranch = (jobId: string) => `offload/${jobId.slice(0, 8)}`;

const GIT_WHO = {
  GIT_AUTHOR_NAME: 'Offload',
  GIT_AUTHOR_EMAIL: 'offload@localhost',
  GIT_COMMITTER_NAME: 'Offload',
  GIT_COMMITTER_EMAIL: 'offload@localhost',
};

/**
 * WORKER_ISOLATION=worktree: a worktree of `dir`'s repository under
 * `<tmp>/offload-worktrees/<jobId>`, on a new branch {@link jobBranch} that starts from the
 * checkout's HEAD plus its uncommitted changes (tracked and untracked, not ignored: one commit on
 * top of HEAD, made from a throwaway index, when there are any), so the agent sees what the user
 * sees while the checkout is never touched. `apply` brings the job's change into the checkout;
 * `discard` removes the worktree and the branch (src/jobs/undo.ts). Throws Error when `dir` is not
 * in a repository with a commit, or git's error (e.g. the branch exists already).
 */
export async function createWorktree(dir: string, jobId: string): Promise<JobWorktree> {
  const git = async (cwd: string, args: string[]) => (await execa('git', args, { cwd, env: GIT_WHO })).stdout.trim();
  let top: string;
  let prefix: string;
  let head: string;
  try {
    top = await git(dir, ['rev-parse', '--show-toplevel']);
    prefix = await git(dir, ['rev-parse', '--show-prefix']);
    head = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  } catch {
    throw new Error(`WORKER_ISOLATION=worktree needs a git repository with at least one commit; ${dir} has none`);
  }
  const tree = await writeTree({ dir: top });
  const start =
    tree === (await git(top, ['rev-parse', 'HEAD^{tree}']))
      ? head
      : await git(top, [
          'commit-tree',
          tree,
          '-p',
          head,
          '-m',
          `offload: the checkout's uncommitted changes at the start of job ${jobId}`,
        ]);
  const parent = join(tmpdir(), 'offload-worktrees');
  await mkdir(parent, { recursive: true });
  const path = join(parent, jobId);
  const branch = jobBranch(jobId);
  await git(top, ['worktree', 'add', '--quiet', '-b', branch, path, start]);
  return { path, cwd: join(path, prefix), branch, checkout: top };
}

/** Removes a job's worktree (even with changes in it) and its branch. Missing ones are skipped. Rejects with git's error otherwise. */
export async function removeWorktree(w: Pick<JobWorktree, 'path' | 'branch' | 'checkout'>): Promise<void> {
  const run = (args: string[]) => execa('git', args, { cwd: w.checkout, reject: false });
  const removed = await run(['worktree', 'remove', '--force', '--force', w.path]);
  if (removed.exitCode !== 0) {
    await rm(w.path, { recursive: true, force: true });
    await run(['worktree', 'prune']);
  }
  const b = await run(['branch', '-D', '--quiet', w.branch]);
  if (b.exitCode !== 0 && !/not found/.test(b.stderr))
    throw new Error(`git branch -D ${w.branch} failed: ${b.stderr.trim()}`);
}
