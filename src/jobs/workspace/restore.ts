/**
 * Git plumbing for undo (scoped_patch reverts, `apply`, `discard`): which paths differ between two
 * trees, writing chosen paths of a tree into a work tree, and a three-way merge of trees. Every
 * write goes to the work tree through a throwaway index (`GIT_INDEX_FILE`), so the user's index,
 * branches and history are never touched. Paths here are relative to the repository's top.
 */
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { envOf, git, type Snapshot } from './git';

/** Where a tree lives: a work tree folder and, for non-repo folders, its shadow GIT_DIR. */
export type TreeHome = Pick<Snapshot, 'dir' | 'shadowGitDir'>;

const topOf = async (h: TreeHome) =>
  h.shadowGitDir ? h.dir : (await git(h.dir, ['rev-parse', '--show-toplevel'])).trim();
const names = (out: string) => out.split('\0').filter(Boolean);

/** Paths (top-relative, sorted) that differ between trees `a` and `b`. Rejects with git's error. */
export async function changedBetween(h: TreeHome, a: string, b: string): Promise<string[]> {
  if (a === b) return [];
  return names(await git(h.dir, ['diff-tree', '-r', '--no-renames', '--name-only', '-z', a, b], envOf(h))).sort();
}

/**
 * Makes each of `paths` (top-relative) in the work tree what it is in `tree`: present there → its
 * content and mode are checked out (`read-tree` + `checkout-index -f` into a throwaway index);
 * absent → the file is removed, with the folders that leaves empty. Rejects with git's error.
 */
export async function restorePaths(h: TreeHome, tree: string, paths: readonly string[]): Promise<void> {
  if (!paths.length) return;
  const env = envOf(h);
  const top = await topOf(h);
  const inTree = new Set(names(await git(top, ['ls-tree', '-r', '-z', '--name-only', tree], env)));
  const present = paths.filter((p) => inTree.has(p));
  const tmp = await mkdtemp(join(tmpdir(), 'offload-index-'));
  try {
    const withIndex = { ...env, GIT_INDEX_FILE: join(tmp, 'index') };
    await git(top, ['read-tree', tree], withIndex);
    if (present.length) {
      await execa('git', ['checkout-index', '-f', '-z', '--stdin'], {
        cwd: top,
        env: { ...withIndex, GIT_OPTIONAL_LOCKS: '0' },
        input: present.join('\0'),
      });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  for (const p of paths.filter((x) => !inTree.has(x))) {
    await rm(join(top, p), { force: true, recursive: true });
    for (let d = dirname(join(top, p)); d.startsWith(`${top}/`); d = dirname(d)) {
      if (
        !(await rmdir(d).then(
          () => true,
          () => false,
        ))
      )
        break; // not empty (or gone): stop
    }
  }
}

/** Result of {@link mergeTrees}: the merged tree, or the paths (top-relative) that conflict. */
export type MergeResult = { tree: string; conflicts?: undefined } | { tree?: undefined; conflicts: string[] };

/**
 * Three-way merge of trees: the change `base → theirs` onto `ours`, computed in the object
 * database only (`git merge-tree --write-tree` over throwaway commits; git 2.38+, so no
 * `--merge-base`, which needs 2.40). Nothing in any work tree changes. Rejects with git's error.
 */
export async function mergeTrees(h: TreeHome, base: string, ours: string, theirs: string): Promise<MergeResult> {
  const who = {
    GIT_AUTHOR_NAME: 'Offload',
    GIT_AUTHOR_EMAIL: 'offload@localhost',
    GIT_COMMITTER_NAME: 'Offload',
    GIT_COMMITTER_EMAIL: 'offload@localhost',
  };
  const env = { ...envOf(h), ...who };
  const commit = async (tree: string, parent?: string) =>
    (await git(h.dir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', 'offload merge'], env)).trim();
  const b = await commit(base);
  const [o, t] = [await commit(ours, b), await commit(theirs, b)];
  const r = await execa(
    'git',
    ['-c', 'core.quotepath=off', 'merge-tree', '--write-tree', '--name-only', '--no-messages', o, t],
    { cwd: h.dir, env: { ...env, GIT_OPTIONAL_LOCKS: '0' }, reject: false },
  );
  const [tree, ...rest] = r.stdout.split('\n').filter(Boolean);
  if (r.exitCode === 0 && tree) return { tree };
  if (r.exitCode === 1) return { conflicts: [...new Set(rest)].sort() };
  throw new Error(`git merge-tree failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
}
