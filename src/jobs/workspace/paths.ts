/**
 * The I/O half of the sandbox rule: resolve a user path for real (symlinks included, via
 * `fs.realpath`) and only then check it against the sandbox roots (src/core/sandbox.ts), so a
 * symlink inside a root that points outside it is rejected.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, parse, resolve, sep } from 'node:path';
import { InputError } from '../../core/errors';
import { assertInsideRoots, checkInsideRoots } from '../../core/sandbox';

/**
 * The real path of `p`: `fs.realpath` of the longest existing prefix, with the missing rest
 * appended (so a file a job is about to create still resolves through symlinked parents).
 * `p` must be absolute. Rejects with the fs error for anything but ENOENT/ENOTDIR.
 */
export async function realpathLenient(p: string): Promise<string> {
  const missing: string[] = [];
  let cur = resolve(p);
  for (;;) {
    try {
      return join(await realpath(cur), ...missing.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || cur === parse(cur).root) throw e;
      missing.push(cur.slice(cur.lastIndexOf(sep) + 1));
      cur = resolve(cur, '..');
    }
  }
}

/**
 * Resolves `p` (absolute, or relative to `base` when given) with symlinks, and returns its real
 * path if it lies inside one of `roots` (roots are resolved the same way, so a symlinked root
 * such as macOS's /tmp still matches). Throws InputError naming `field`, e.g.
 * `allowed_dirs[0]: /etc is outside SANDBOX_ROOT (/home/me)`; rejects with the fs error on I/O
 * failures other than a missing path.
 */
export async function resolveInSandbox(
  p: string,
  roots: readonly string[],
  field: string,
  base?: string,
): Promise<string> {
  const abs = isAbsolute(p) ? p : base ? resolve(base, p) : p;
  if (!isAbsolute(abs) || roots.length === 0) return assertInsideRoots(abs, roots, field); // throws: relative path, or no roots
  const realRoots = await Promise.all(roots.map((r) => (isAbsolute(r) ? realpathLenient(r) : Promise.resolve(r))));
  const real = await realpathLenient(abs);
  const verdict = checkInsideRoots(real, realRoots, field);
  if (verdict.ok) return verdict.path;
  if (real === resolve(abs)) throw new InputError(field, `${real} is outside SANDBOX_ROOT (${roots.join(', ')})`);
  throw new InputError(
    field,
    `${p} resolves (through a symlink) to ${real}, which is outside SANDBOX_ROOT (${roots.join(', ')})`,
  );
}

/** {@link resolveInSandbox} for a list; element i is checked as `${field}[i]`. */
export async function resolveAllInSandbox(
  paths: readonly string[],
  roots: readonly string[],
  field: string,
  base?: string,
): Promise<string[]> {
  return Promise.all(paths.map((p, i) => resolveInSandbox(p, roots, `${field}[${i}]`, base)));
}
