/**
 * The workspace layer as the Claude Code runner uses it (its `WorkspacePort`): git snapshots and
 * diffs (./git.ts) and check commands (./checks.ts). Paths and the sandbox are in ./paths.ts.
 */
import { childEnv } from '../../core/child-env';
import { formatCheckLine, runCheck, type CheckSpec } from './checks';
import { posix } from 'node:path';
import { changedFiles, diff, snapshot, writeTree, type DiffResult, type Snapshot } from './git';
import { restorePaths } from './restore';
import { createWorktree, type JobWorktree } from './worktree';

/** The runner-facing workspace. `before` is what `snapshot` returned; `maxBytes` in UTF-8 bytes. */
export interface Workspace {
  snapshot(dir: string): Promise<Snapshot>;
  changedFiles(dir: string, before: unknown): Promise<string[]>;
  diff(dir: string, before: unknown, maxBytes: number): Promise<DiffResult>;
  /** Runs one check; `line` is its result line ("unit tests: passed"). */
  runCheck(
    check: CheckSpec,
    cwd: string,
    signal: AbortSignal,
  ): Promise<{ passed: boolean; line: string; outputTail: string }>;
  /** The work tree's tree id now (as a snapshot's `tree`): the job's post state. */
  tree(dir: string, before: unknown): Promise<string>;
  /** Puts `files` (relative to `dir`, as changedFiles lists them) back as they were in `before` (created ones removed). */
  restore(dir: string, before: unknown, files: readonly string[]): Promise<void>;
  /** WORKER_ISOLATION=worktree: a detached worktree of `dir`'s repo for the job (./worktree.ts). */
  createWorktree(dir: string, jobId: string): Promise<JobWorktree>;
}

/**
 * The real workspace: git via execa, checks via the shell in the environment `checkEnv()` gives
 * (the host builds it with src/core/child-env.ts; default: that rule over this process's env).
 */
export function createWorkspace(checkEnv: () => Record<string, string> = () => childEnv(process.env)): Workspace {
  return {
    snapshot,
    createWorktree,
    changedFiles: (dir, before) => changedFiles(dir, before as Snapshot),
    diff: (dir, before, maxBytes) => diff(dir, before as Snapshot, maxBytes),
    tree: (dir, before) => writeTree({ dir, shadowGitDir: (before as Snapshot).shadowGitDir }),
    restore(dir, before, files) {
      const s = before as Snapshot;
      return restorePaths(
        { dir, shadowGitDir: s.shadowGitDir },
        s.tree,
        files.map((f) => posix.normalize(posix.join(s.prefix, f))),
      );
    },
    async runCheck(check, cwd, signal) {
      const r = await runCheck(check, cwd, { signal, env: checkEnv() });
      return { passed: r.status === 'passed', line: formatCheckLine(r), outputTail: r.outputTail };
    },
  };
}

export type { CheckSpec } from './checks';
export { snapshot, writeTree, type DiffResult, type Snapshot } from './git';
export { createWorktree, removeWorktree, type JobWorktree } from './worktree';
export { changedBetween, mergeTrees, restorePaths } from './restore';
