/** Thrown when the ledger file cannot be locked, read or written. The ledger then admits nothing (fail closed). */
export class LedgerFileError extends Error {
  override name = 'LedgerFileError';
}

/** How to recover from a damaged ledger: the two CLI commands (README, `ledger check|repair`). */
export const RECOVERY =
  'paid work is refused until it is fixed: run `node dist/worker.js ledger check` to see the damage, then `node dist/worker.js ledger repair` (it keeps the damaged files beside the repaired ones)';

/**
 * A ledger file is damaged (missing, empty, truncated, garbage, out of sequence, read-only, or its
 * lock cannot be taken): the ledger refuses every call, in every process that sees it, until
 * `ledger repair` (or the user) fixes it. The message names the file, what is wrong and the fix.
 */
export class LedgerDamageError extends LedgerFileError {
  override name = 'LedgerDamageError';
  constructor(
    readonly file: string,
    readonly damage: string,
    options?: ErrorOptions,
  ) {
    super(`ledger file ${file} ${damage}; ${RECOVERY}`, options);
  }
}

/** Throws LedgerDamageError when the owner may not write the file (mode without u+w: root ignores the mode, we do not). */
export function assertWritable(file: string, mode: number | bigint): void {
  if ((Number(mode) & 0o200) === 0)
    throw new LedgerDamageError(file, 'is read-only (no write permission for its owner; chmod u+w restores it)');
}

/**
 * Checks snapshot bytes against their SQLite header (sqlite.org/fileformat.html §1.3): the magic
 * string, the page size (offset 16) and, when the in-header page count is valid (offset 92 equals
 * the change counter at 24), that the file holds exactly that many pages. Returns what is wrong,
 * or null for bytes that look complete. An empty file is damage: a ledger snapshot is never empty.
 */
export function snapshotDamage(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return 'is empty (0 bytes): a ledger existed here, but its snapshot was cut to nothing';
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 100 || view.toString('latin1', 0, 16) !== 'SQLite format 3\0')
    return `is not a SQLite database (${bytes.length} bytes of something else)`;
  const raw = view.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return `has a garbage header (page size ${raw})`;
  const pages = view.readUInt32BE(28);
  const valid = view.readUInt32BE(92) === view.readUInt32BE(24);
  if (valid && pages > 0 && bytes.length !== pages * pageSize) {
    return `is truncated or padded: its header says ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes), the file has ${bytes.length}`;
  }
  if (bytes.length % pageSize !== 0)
    return `is truncated: ${bytes.length} bytes is not a whole number of ${pageSize}-byte pages`;
  return null;
}
