/**
 * The descriptor rule (README, Security): a file given to a model is checked and read through one
 * file descriptor, so swapping it (or a parent folder) for a symlink between the sandbox check and
 * the read cannot make outside bytes reach the model.
 *
 * - Open the checked real path with O_NOFOLLOW (POSIX): a final component that is now a symlink
 *   fails to open (ELOOP).
 * - Linux: the opened descriptor's own path (`readlink /proc/self/fd/N`) must equal the checked
 *   real path; a parent swapped for a symlink shows up there.
 * - Elsewhere (macOS, Windows): the path is resolved again after the open and must be the same,
 *   and the descriptor's dev/ino must equal a stat of that path. A swap that is undone between the
 *   open and this check can still pass there; that window is not closed off Linux.
 * The descriptor must be a regular file. Everything read afterwards comes from that descriptor.
 */
import { constants } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { InputError } from '../../core/errors';
import { assertInsideRoots } from '../../core/sandbox';

/** Thrown when the file changed between the check and the open; nothing was read from it. */
export class PathSwappedError extends InputError {
  override name = 'PathSwappedError';
}

/**
 * Opens `real` (a real path already checked inside `roots`) read-only under the descriptor rule
 * and returns the handle (the caller closes it). Throws InputError naming `field` when the path
 * is now outside the roots, not a regular file, or a different file than the one checked
 * (PathSwappedError); rejects with the fs error when it cannot be opened (ELOOP: now a symlink).
 */
export async function openChecked(real: string, rawRoots: readonly string[], field: string): Promise<FileHandle> {
  const roots = [...new Set([...rawRoots, ...(await Promise.all(rawRoots.map((r) => realpath(r).catch(() => r))))])]; // a symlinked root (macOS /tmp) matches too
  assertInsideRoots(real, roots, field);
  const handle = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new InputError(field, `${real} is not a regular file`);
    if (process.platform === 'linux') {
      const actual = await readlink(`/proc/self/fd/${handle.fd}`);
      if (actual !== real)
        throw new PathSwappedError(
          field,
          `${real} changed while it was opened (it now leads to ${actual}); nothing was read`,
        );
    } else {
      const again = await realpath(real);
      const now = await stat(again);
      if (again !== real || now.dev !== info.dev || now.ino !== info.ino)
        throw new PathSwappedError(field, `${real} changed while it was opened; nothing was read`);
    }
    assertInsideRoots(real, roots, field);
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Reads at most `maxBytes` from the start of an open handle. */
export async function readHead(handle: FileHandle, maxBytes: number): Promise<{ bytes: Buffer; size: number }> {
  const size = (await handle.stat()).size;
  const buf = Buffer.alloc(Math.max(0, Math.min(maxBytes, size)));
  const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
  return { bytes: buf.subarray(0, bytesRead), size };
}
