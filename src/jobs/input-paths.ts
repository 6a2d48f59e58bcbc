/**
 * Existence checks of request paths (analyze.paths, input_refs, allowed_dirs, cwd), run by
 * JobService before a job row or a reservation exists. File-system errors become InputErrors
 * naming the field, e.g. `paths[0]: /w/nope does not exist`, never a raw `ENOENT … stat`.
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../core/errors';

/** What a field must name: a file, a folder, or either. */
export type PathKind = 'file' | 'folder' | 'file or folder';

/** Resolves a request path inside the sandbox (symlinks included), throwing InputError naming `field`. */
export type ResolvePath = (path: string, field: string) => Promise<string>;

/** A readable reason for a file-system error code on `path`, or undefined for codes not about the path. */
export function fsProblem(code: string | undefined, path: string): string | undefined {
  switch (code) {
    case 'ENOENT':
      return `${path} does not exist`;
    case 'ENOTDIR':
      return `${path} does not exist (a part of it is a file, not a folder)`;
    case 'ENAMETOOLONG':
      return `${path} is too long for the file system (a path is at most 4095 bytes, a name at most 255)`;
    case 'EACCES':
    case 'EPERM':
      return `${path} cannot be read (permission denied)`;
    case 'ELOOP':
      return `${path} has too many levels of symbolic links`;
    case 'EINVAL':
      return `${path} is not a valid path`;
    default:
      return undefined;
  }
}

/** Runs `fn`, turning a file-system error about the path into an InputError naming `field`. */
async function naming<T>(field: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof InputError) throw e;
    const problem = fsProblem((e as NodeJS.ErrnoException).code, path);
    if (problem) throw new InputError(field, problem);
    throw e;
  }
}

/**
 * Resolves `path` with `resolve` (sandbox rule) and checks that it exists and is a `kind`.
 * Returns the real path. Throws InputError naming `field`: outside the sandbox, missing, too
 * long, unreadable, or a file where a folder is needed (and the other way round).
 */
export async function resolveExisting(
  resolve: ResolvePath,
  path: string,
  field: string,
  kind: PathKind,
): Promise<string> {
  const real = await naming(field, path, () => resolve(path, field));
  const info = await naming(field, path, () => stat(real));
  if (kind === 'folder' && !info.isDirectory()) throw new InputError(field, `${path} is not a folder; give a folder`);
  if (kind === 'file' && !info.isFile())
    throw new InputError(field, `${path} is not a file; give a file (analyze reads folders)`);
  if (kind === 'file or folder' && !info.isFile() && !info.isDirectory())
    throw new InputError(field, `${path} is neither a file nor a folder`);
  return real;
}
