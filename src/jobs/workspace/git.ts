/**
 * What did the job change? A snapshot records the working tree as a git tree object, written
 * through a temporary index (`GIT_INDEX_FILE`) so the user's index, branches and history are
 * never touched — no commit, no stash. Works in a repo without commits. A directory that is not
 * in a git repo gets a shadow repository (a `GIT_DIR` of its own under the OS temp folder,
 * `offload-shadow-git-*`, one per snapshot, so apply/discard can remove it without touching another
 * job's) with the directory as its work tree.
 *
 * Files ignored by .gitignore (and, in shadow repos, node_modules/ and .git/) are not tracked.
 * The only side effect in a user's repo: blobs of the snapshotted files are added to its object
 * database (unreferenced; `git gc` prunes them).
 */
import { copyFile, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { execa } from 'execa';

/** The state of a working tree before a job. Opaque to callers; pass it back to changedFiles/diff. */
export interface Snapshot {
  /** The directory snapshotted (absolute). */
  dir: string;
  /** `dir` relative to the work tree's top, with a trailing `/`, or '' at the top. */
  prefix: string;
  /** HEAD commit id, or null (no commits, or a shadow repo). */
  head: string | null;
  /** Tree id of the whole work tree at snapshot time. */
  tree: string;
  /** Shadow repository's GIT_DIR when `dir` is not in a git repo. */
  shadowGitDir?: string;
}

/** Extra environment for one git call. */
export type GitEnv = Record<string, string>;

/** Runs git in `dir` (quoted paths off, no optional locks); resolves stdout, rejects with git's error. */
export async function git(dir: string, args: string[], env: GitEnv = {}): Promise<string> {
  const r = await execa('git', ['-c', 'core.quotepath=off', ...args], {
    cwd: dir,
    env: { ...env, GIT_OPTIONAL_LOCKS: '0' },
    stripFinalNewline: false,
    maxBuffer: 512 * 1024 * 1024,
  });
  return r.stdout;
}

/** The GIT_DIR/GIT_WORK_TREE environment of a snapshot (empty for a real repo). */
export const envOf = (s: Pick<Snapshot, 'dir' | 'shadowGitDir'>): GitEnv =>
  s.shadowGitDir ? { GIT_DIR: s.shadowGitDir, GIT_WORK_TREE: s.dir } : {};

/** True when `dir` is inside a git work tree. Never throws (false on any git error, or git missing). */
export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    return (await git(dir, ['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}

/** A fresh shadow GIT_DIR for a non-repo directory (removed by apply/discard or the retention sweep). */
async function shadowFor(dir: string): Promise<string> {
  const gitDir = await mkdtemp(join(tmpdir(), 'offload-shadow-git-'));
  await git(dir, ['init', '-q', '--bare', gitDir]);
  await mkdir(join(gitDir, 'info'), { recursive: true });
  await writeFile(join(gitDir, 'info', 'exclude'), 'node_modules/\n.git/\n');
  return gitDir;
}

/**
 * Copies the index at `from` (none yet: nothing, start empty) keeping its mtime. git trusts an
 * entry whose stat data match unless the file is not older than the index itself ("racy git",
 * gitformat-index / racy-git.txt); a copy stamped now would make a same-size edit made in the
 * index's last second look unchanged, and the snapshot would miss it.
 */
async function copyIndex(from: string, to: string): Promise<void> {
  const st = await stat(from).catch(() => undefined);
  if (!st) return;
  await copyFile(from, to);
  await utimes(to, st.atime, st.mtime);
}

/**
 * Writes the current work tree as a tree object through a throwaway index seeded from the real one
 * (for speed); returns the tree id. The user's index is never written. Rejects with git's error.
 */
export async function writeTree(s: Pick<Snapshot, 'dir' | 'shadowGitDir'>): Promise<string> {
  const env = envOf(s);
  const tmp = await mkdtemp(join(tmpdir(), 'offload-index-'));
  const index = join(tmp, 'index');
  try {
    const real = resolve(s.dir, (await git(s.dir, ['rev-parse', '--git-path', 'index'], env)).trim());
    await copyIndex(real, index);
    const top = (await git(s.dir, ['rev-parse', '--show-toplevel'], env)).trim();
    await git(top, ['add', '-A', '--', '.'], { ...env, GIT_INDEX_FILE: index });
    return (await git(top, ['write-tree'], { ...env, GIT_INDEX_FILE: index })).trim();
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Records the state of `dir`'s work tree (the whole repository's work tree when `dir` is a
 * subfolder). Rejects with git's error if git is missing or fails.
 */
export async function snapshot(dir: string): Promise<Snapshot> {
  const abs = resolve(dir);
  const shadowGitDir = (await isGitRepo(abs)) ? undefined : await shadowFor(abs);
  const env = envOf({ dir: abs, shadowGitDir });
  const prefix = shadowGitDir ? '' : (await git(abs, ['rev-parse', '--show-prefix'], env)).trim();
  const head = await git(abs, ['rev-parse', '--verify', '-q', 'HEAD'], env).then(
    (o) => o.trim() || null,
    () => null,
  );
  return { dir: abs, prefix, head, tree: await writeTree({ dir: abs, shadowGitDir }), shadowGitDir };
}

/**
 * Paths changed since `before` (added, modified, deleted; a rename is its old and new path),
 * `/`-separated, relative to the snapshotted dir — so a change elsewhere in the same repo shows
 * as `../…` — sorted. Rejects with git's error.
 */
export async function changedFiles(dir: string, before: Snapshot): Promise<string[]> {
  const after = await writeTree({ dir, shadowGitDir: before.shadowGitDir });
  const out = await git(
    dir,
    ['diff-tree', '-r', '--no-renames', '--name-only', '-z', before.tree, after],
    envOf(before),
  );
  const top = posix.join('/', before.prefix);
  return out
    .split('\0')
    .filter(Boolean)
    .map((p) => posix.relative(top, posix.join('/', p)))
    .sort();
}

/** Result of {@link diff}: the text (maybe truncated) and the full diff's size in UTF-8 bytes. */
export interface DiffResult {
  text: string;
  bytes: number;
  truncated: boolean;
}

/** Marker appended to a truncated diff. */
export const truncationMarker = (shown: number, total: number) =>
  `\n[diff truncated: showing ${shown} of ${total} bytes]\n`;

/** The longest prefix of `buf` of at most `maxBytes` bytes that ends on a UTF-8 character boundary. */
function utf8Prefix(buf: Buffer, maxBytes: number): string {
  let end = Math.min(maxBytes, buf.length);
  while (end > 0 && end < buf.length && (buf[end]! & 0xc0) === 0x80) end--; // a continuation byte starts no character
  return buf.subarray(0, end).toString('utf8');
}

/**
 * Cuts `text` so that the returned text, {@link truncationMarker} included, is at most `maxBytes`
 * UTF-8 bytes: a hard cap (`max_diff_bytes`, `DIFF_MAX_BYTES`). The kept part ends at the last
 * line break that fits, else at a character boundary. A cap too small to hold the marker returns
 * `""`. `bytes` is always the whole diff's size.
 */
export function truncateDiff(text: string, maxBytes: number): DiffResult {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return { text, bytes: buf.length, truncated: false };
  // The marker shows at most maxBytes kept bytes, so this is an upper bound of its size.
  const room = maxBytes - Buffer.byteLength(truncationMarker(maxBytes, buf.length));
  if (room < 0) return { text: '', bytes: buf.length, truncated: true };
  let cut = utf8Prefix(buf, room);
  const nl = cut.lastIndexOf('\n');
  if (nl > 0) cut = cut.slice(0, nl + 1);
  return { text: cut + truncationMarker(Buffer.byteLength(cut), buf.length), bytes: buf.length, truncated: true };
}

/**
 * Unified diff (`git diff`, no color, no external diff tool, binary files as "Binary files
 * differ") of the whole work tree between `before` and now, paths relative to the repository
 * top as `a/…`/`b/…`, truncated at `maxBytes` (see {@link truncateDiff}). Rejects with git's error.
 */
export async function diff(dir: string, before: Snapshot, maxBytes: number): Promise<DiffResult> {
  const after = await writeTree({ dir, shadowGitDir: before.shadowGitDir });
  const text = await git(
    dir,
    ['diff', '--no-color', '--no-ext-diff', '--no-renames', before.tree, after],
    envOf(before),
  );
  return truncateDiff(text, maxBytes);
}
