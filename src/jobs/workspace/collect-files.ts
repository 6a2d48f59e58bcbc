import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { assertInsideRoots } from '../../core/sandbox';
import { isSecretFile } from '../../core/secret-files';
import { openChecked, readHead } from './read-checked';

/** Folders never read when a folder is expanded. */
const SKIP_DIRS = new Set([
  '.git',
  'node_modules',
  'dist',
  'out',
  'build',
  '.next',
  'coverage',
  '.venv',
  '__pycache__',
]);

/** Limits of one collection: files and total bytes (UTF-8 text). */
export interface CollectLimits {
  maxFiles: number;
  maxBytes: number;
  /** OFFLOAD_READ_SECRET_FILES: read .env, key and credential files found in folders too (default false: skipped). */
  allowSecretFiles?: boolean;
}

/** The text files found, and whether limits cut the list. Paths are absolute real paths. */
export interface CollectedFiles {
  files: { path: string; text: string }[];
  truncated: boolean;
  skipped: number;
}

/** The text of `real` read through one descriptor (read-checked.ts), or undefined for a binary file (a NUL byte). */
async function readText(
  real: string,
  roots: readonly string[],
  budget: number,
): Promise<{ text: string; size: number } | undefined> {
  const handle = await openChecked(real, roots, 'paths');
  try {
    const { bytes, size } = await readHead(handle, budget);
    return bytes.includes(0) ? undefined : { text: bytes.toString('utf8'), size };
  } finally {
    await handle.close();
  }
}

/** The .gitignore rules of one folder, matched relative to it. */
interface IgnoreLevel {
  dir: string;
  rules: Ignore;
}

async function gitignoreOf(dir: string): Promise<IgnoreLevel | undefined> {
  const text = await readFile(join(dir, '.gitignore'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : { dir, rules: ignore().add(text) };
}

/** The .gitignore files of the folders between the sandbox root holding `path` and `path`'s parent, outermost first. */
async function ancestorGitignores(path: string, roots: readonly string[]): Promise<IgnoreLevel[]> {
  const real = await realpath(path).catch(() => path);
  const rel = displayPath(real, roots);
  if (rel === real || rel === '.') return [];
  const root = real.slice(0, real.length - rel.length).replace(/[\\/]$/, '');
  const parts = rel.split(sep).slice(0, -1);
  const dirs = [root, ...parts.map((_, i) => join(root, ...parts.slice(0, i + 1)))];
  return (await Promise.all(dirs.map(gitignoreOf))).filter((l): l is IgnoreLevel => l !== undefined);
}

/** True when a .gitignore of `levels` (outermost first) ignores `path` (a folder when `isDir`). */
function gitignored(levels: readonly IgnoreLevel[], path: string, isDir: boolean): boolean {
  return levels.some((l) => {
    const rel = relative(l.dir, path).split(sep).join('/');
    return rel !== '' && !rel.startsWith('..') && l.rules.ignores(isDir ? `${rel}/` : rel);
  });
}

/**
 * Reads the files at `paths` (already resolved inside the sandbox), expanding folders
 * depth-first in name order and skipping dependency/build folders, what the folders' .gitignore
 * files ignore (nested ones too, with the `ignore` library), secret files (src/core/secret-files.ts,
 * unless `allowSecretFiles`) and binary files (a NUL byte). Every file found inside a folder is
 * resolved again (symlinks) and must still be inside the sandbox roots, else it is skipped; each
 * is read through one descriptor (read-checked.ts), and one swapped mid-read is skipped. Stops at
 * `limits`; a file past the byte budget is cut.
 */
export async function collectFiles(
  paths: readonly string[],
  roots: readonly string[],
  limits: CollectLimits,
): Promise<CollectedFiles> {
  const out: CollectedFiles = { files: [], truncated: false, skipped: 0 };
  let bytes = 0;
  const visit = async (path: string, levels: readonly IgnoreLevel[], base: string): Promise<boolean> => {
    if (out.files.length >= limits.maxFiles || bytes >= limits.maxBytes) return ((out.truncated = true), false);
    let real: string;
    try {
      real = await realpath(path);
      assertInsideRoots(real, roots, 'paths');
    } catch {
      out.skipped++;
      return true;
    }
    const info = await stat(real);
    const secret =
      !limits.allowSecretFiles &&
      path !== base &&
      (isSecretFile(relative(base, path).split(sep).join('/') + (info.isDirectory() ? '/' : '')) ||
        isSecretFile(displayPath(real, roots)));
    if (secret || (path !== base && gitignored(levels, path, info.isDirectory()))) {
      out.skipped++;
      return true;
    }
    if (info.isDirectory()) {
      const own = await gitignoreOf(real);
      const inner = own ? [...levels, own] : levels;
      const entries = (await readdir(real, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (e.isDirectory() && SKIP_DIRS.has(e.name)) continue;
        if (!(await visit(join(real, e.name), inner, base === path ? real : base))) return false;
      }
      return true;
    }
    if (!info.isFile()) return true;
    const read = await readText(real, roots, limits.maxBytes - bytes).catch(() => undefined);
    if (read === undefined) {
      out.skipped++;
      return true;
    }
    if (Buffer.byteLength(read.text) < read.size) out.truncated = true;
    bytes += Buffer.byteLength(read.text);
    out.files.push({ path: real, text: read.text });
    return true;
  };
  for (const p of paths) if (!(await visit(p, await ancestorGitignores(p, roots), p))) break;
  return out;
}

/** `path` relative to the first root that contains it, for prompts and results. */
export function displayPath(path: string, roots: readonly string[]): string {
  for (const root of roots) {
    const rel = relative(root, path);
    if (!rel.startsWith('..')) return rel || '.';
  }
  return path;
}
