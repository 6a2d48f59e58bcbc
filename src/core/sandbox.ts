/**
 * The sandbox rule (DESIGN.md, Security): every path a job or `analyze` touches must lie inside
 * one of the sandbox roots (`SANDBOX_ROOT`; in VS Code, the workspace folders). Pure string logic
 * on absolute paths; resolving symlinks is the caller's job (src/jobs/workspace/paths.ts calls
 * `fs.realpath` first, then these checks).
 */
import { posix, sep, win32 } from 'node:path';
import { InputError } from './errors';

/** Path semantics to check with: `posix` (case-sensitive, `/`) or `win32` (case-insensitive, `\` and `/`). */
export type PathFlavor = 'posix' | 'win32';

/** The host's flavor. */
export const HOST_FLAVOR: PathFlavor = sep === '\\' ? 'win32' : 'posix';

const api = (flavor: PathFlavor) => (flavor === 'win32' ? win32 : posix);

/**
 * `p` with `.`/`..` segments resolved, repeated separators collapsed and any trailing separator
 * removed (except on a filesystem root such as `/` or `C:\`). Throws Error if `p` is not absolute.
 */
export function normalizeAbsolute(p: string, flavor: PathFlavor = HOST_FLAVOR): string {
  const path = api(flavor);
  if (!path.isAbsolute(p)) throw new Error(`${p} is not an absolute path`);
  const n = path.normalize(p);
  return n.length > path.parse(n).root.length ? n.replace(/[\\/]+$/, '') : n;
}

/**
 * True when absolute `p` is `root` itself or below it, by whole segments: `/home/me` contains
 * `/home/me` and `/home/me/a`, not `/home/meow`. Both are normalized first; win32 compares
 * case-insensitively. Throws Error if either is relative.
 */
export function isInside(p: string, root: string, flavor: PathFlavor = HOST_FLAVOR): boolean {
  const fold = (s: string) => (flavor === 'win32' ? s.toLowerCase() : s);
  const path = fold(normalizeAbsolute(p, flavor));
  const r = fold(normalizeAbsolute(root, flavor));
  if (path === r) return true;
  const sep = api(flavor).sep;
  return path.startsWith(r.endsWith(sep) ? r : r + sep);
}

/** Options of {@link checkInsideRoots}. */
export interface SandboxCheckOptions {
  /** How the roots are named in messages. Default `SANDBOX_ROOT`. */
  rootsLabel?: string;
  flavor?: PathFlavor;
}

/** Outcome of a sandbox check: the normalized path, or a message naming the field. */
export type SandboxVerdict = { ok: true; path: string } | { ok: false; message: string };

/**
 * Checks absolute `p` against `roots`. The message names `field` and the roots, e.g.
 * `allowed_dirs[0]: /etc is outside SANDBOX_ROOT (/home/me)`. A relative `p` or an empty root
 * list is a failure, never a pass.
 */
export function checkInsideRoots(
  p: string,
  roots: readonly string[],
  field: string,
  opts: SandboxCheckOptions = {},
): SandboxVerdict {
  const flavor = opts.flavor ?? HOST_FLAVOR;
  const label = opts.rootsLabel ?? 'SANDBOX_ROOT';
  if (!api(flavor).isAbsolute(p)) return { ok: false, message: `${field}: ${p} is not an absolute path` };
  if (roots.length === 0) return { ok: false, message: `${field}: no ${label} is configured, so no path is allowed` };
  const path = normalizeAbsolute(p, flavor);
  if (roots.some((r) => api(flavor).isAbsolute(r) && isInside(path, r, flavor))) return { ok: true, path };
  return { ok: false, message: `${field}: ${path} is outside ${label} (${roots.join(', ')})` };
}

/**
 * Like {@link checkInsideRoots} but returns the normalized path or throws {@link InputError}
 * (field = `field`, so MCP tools report it as a tool error naming the field).
 */
export function assertInsideRoots(
  p: string,
  roots: readonly string[],
  field: string,
  opts: SandboxCheckOptions = {},
): string {
  const v = checkInsideRoots(p, roots, field, opts);
  if (v.ok) return v.path;
  throw new InputError(field, v.message.slice(field.length + 2));
}
