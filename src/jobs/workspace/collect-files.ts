import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { assertInsideRoots } from '../../core/sandbox';

/** Folders never read when a folder is expanded. */
const SKIP_DIRS = new Set(['.git', 'node_modules', 'dist', 'out', 'build', '.next', 'coverage', '.venv', '__pycache__']);

/** Limits of one collection: files and total bytes (UTF-8 text). */
export interface CollectLimits {
  maxFiles: number;
  maxBytes: number;
}

/** The text files found, and whether limits cut the list. Paths are absolute real paths. */
export interface CollectedFiles {
  files: { path: string; text: string }[];
  truncated: boolean;
  skipped: number;
}

async function readText(path: string, budget: number): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(budget, (await handle.stat()).size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const bytes = buf.subarray(0, bytesRead);
    return bytes.includes(0) ? undefined : bytes.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Reads the files at `paths` (already resolved inside the sandbox), expanding folders
 * depth-first in name order and skipping dependency/build folders and binary files (a NUL byte).
 * Every file found inside a folder is resolved again (symlinks) and must still be inside the
 * sandbox roots, else it is skipped. Stops at `limits`; a file past the byte budget is cut.
 */
export async function collectFiles(paths: readonly string[], roots: readonly string[], limits: CollectLimits): Promise<CollectedFiles> {
  const out: CollectedFiles = { files: [], truncated: false, skipped: 0 };
  let bytes = 0;
  const visit = async (path: string): Promise<boolean> => {
    if (out.files.length >= limits.maxFiles || bytes >= limits.maxBytes) return (out.truncated = true), false;
    let real: string;
    try {
      real = await realpath(path);
      assertInsideRoots(real, roots, 'paths');
    } catch {
      out.skipped++;
      return true;
    }
    const info = await stat(real);
    if (info.isDirectory()) {
      const entries = (await readdir(real, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        if (e.isDirectory() && SKIP_DIRS.has(e.name)) continue;
        if (!(await visit(join(real, e.name)))) return false;
      }
      return true;
    }
    if (!info.isFile()) return true;
    const text = await readText(real, limits.maxBytes - bytes);
    if (text === undefined) {
      out.skipped++;
      return true;
    }
    if (Buffer.byteLength(text) < info.size) out.truncated = true;
    bytes += Buffer.byteLength(text);
    out.files.push({ path: real, text });
    return true;
  };
  for (const p of paths) if (!(await visit(p))) break;
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
