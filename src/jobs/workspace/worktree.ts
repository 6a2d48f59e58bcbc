import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** A detached git worktree made for one job. */
export interface JobWorktree {
  /** The worktree's top folder (absolute). */
  path: string;
  /** The job's folder inside it: the same place relative to the repo top as the folder asked for. */
  cwd: string;
}

/**
 * WORKER_ISOLATION=worktree: a detached worktree of `dir`'s repository at HEAD, under
 * `<tmp>/offload-worktrees/<jobId>`, so the job never touches the user's checkout. Uncommitted
 * changes of the user's tree are not in it (it starts from HEAD). The worktree is kept after the
 * job so its changes can be inspected or applied (`git -C <path> diff | git apply`); remove it
 * with `git worktree remove <path>`. Throws Error when `dir` is not in a repository with a commit.
 */
export async function createWorktree(dir: string, jobId: string): Promise<JobWorktree> {
  const git = async (cwd: string, args: string[]) => (await execa('git', args, { cwd })).stdout.trim();
  let top: string;
  let prefix: string;
  try {
    top = await git(dir, ['rev-parse', '--show-toplevel']);
    prefix = await git(dir, ['rev-parse', '--show-prefix']);
    await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  } catch {
    throw new Error(`WORKER_ISOLATION=worktree needs a git repository with at least one commit; ${dir} has none`);
  }
  const parent = join(tmpdir(), 'offload-worktrees');
  await mkdir(parent, { recursive: true });
  const path = join(parent, jobId);
  await git(top, ['worktree', 'add', '--detach', '--quiet', path, 'HEAD']);
  return { path, cwd: join(path, prefix) };
}
