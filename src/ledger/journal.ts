import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { assertWritable, LedgerDamageError, LedgerFileError } from './damage';
import { replaceAtomically, type LockGuard } from './file-store';
import type { RecordedStatement } from './recorder';

/**
 * `<ledger>.journal`: the transactions committed since the snapshot was written, one JSON line
 * each, after a header line naming the snapshot generation they apply to:
 *   {"journal":1,"g":7,"last":2              }
 *   {"g":7,"n":1,"s":[["INSERT INTO reservations …",["r-1","job",…],1]]}
 * Lines are appended under the ledger lock and fdatasync'ed before the write is reported. After the
 * lines, the same write rewrites the header's fixed-width `last` in place (the sequence number of
 * the last line appended), so a journal cut back to fewer complete lines than `last` is detectable
 * at rest. A line without its trailing newline, or a last line that does not parse, beyond `last`,
 * is the torn tail of a writer that died mid-append: readers ignore it and the next writer cuts it
 * (and reports it). Headers without `last` (written by Offload before it) are still read.
 */
export interface JournalEntry {
  /** The snapshot generation this line applies to. */
  g: number;
  /** Sequence number in the generation: 1, 2, … with no gap. */
  n: number;
  /** The transaction's statements, in order. */
  s: RecordedStatement[];
}

/** The journal's identity on disk: inode, size in bytes and mtime (ns: a rewrite in place that keeps the size still changes it). */
export interface JournalStat {
  ino: bigint;
  size: number;
  mtimeNs: bigint;
}

/** Width of the header's `last` field: sequence numbers up to 10^15, padded with JSON whitespace. */
const LAST_WIDTH = 15;

/** What a read of the journal from some offset found. */
export interface JournalChunk {
  /** The header's generation when the chunk started at offset 0 (null: no complete, valid header). */
  header: number | null;
  /** The byte offset just after the header line (0 when there is none). */
  headerEnd: number;
  /** The header's `last` (sequence number of the last line appended), null when the header has none. */
  last: number | null;
  /** Complete entries after the offset (the header excluded), each with the byte offset just after it. */
  entries: Array<{ entry: JournalEntry; end: number }>;
}

const NL = 0x0a;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function headerPrefix(g: number): string {
  return `{"journal":1,"g":${g},"last":`;
}

/** The header line of a journal for snapshot generation `g` whose last line is number `last`. */
export function headerLine(g: number, last = 0): string {
  return `${headerPrefix(g)}${String(last).padEnd(LAST_WIDTH)}}\n`;
}

/** One entry as a journal line (ends with a newline; JSON escapes any newline inside). */
export function entryLine(entry: JournalEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

/** Rewrites the header's `last` in place (fixed width, so nothing else moves). */
function writeLast(fd: number, g: number, n: number): void {
  const field = Buffer.from(String(n).padEnd(LAST_WIDTH), 'latin1');
  writeSync(fd, field, 0, field.length, Buffer.byteLength(headerPrefix(g)));
}

function parseHeader(line: Buffer): { last: number | null } | null {
  try {
    const v = JSON.parse(line.toString('utf8')) as { journal?: unknown; last?: unknown };
    return v.journal === 1 ? { last: Number.isSafeInteger(v.last) ? (v.last as number) : null } : null;
  } catch {
    return null;
  }
}

function isEntry(v: unknown): v is JournalEntry {
  const e = v as JournalEntry;
  return (
    typeof e === 'object' && e !== null && Number.isSafeInteger(e.g) && Number.isSafeInteger(e.n) && Array.isArray(e.s)
  );
}

/**
 * Parses journal bytes that start at byte `offset` of the file (0: the header comes first). Only
 * newline-terminated lines count; a last line that fails to parse is a torn tail and is left out.
 * Throws LedgerDamageError for an unparsable line followed by more lines (the journal is corrupt).
 */
export function parseChunk(file: string, bytes: Buffer, offset: number): JournalChunk {
  const chunk: JournalChunk = { header: null, headerEnd: 0, last: null, entries: [] };
  let start = 0;
  for (let nl = bytes.indexOf(NL, start); nl >= 0; start = nl + 1, nl = bytes.indexOf(NL, start)) {
    let value: unknown;
    try {
      value = JSON.parse(bytes.subarray(start, nl).toString('utf8'));
    } catch {
      value = undefined;
    }
    const atHeader = offset === 0 && start === 0;
    const header = value as { journal?: unknown; g?: unknown; last?: unknown } | undefined;
    if (atHeader && header?.journal === 1 && Number.isSafeInteger(header.g)) {
      chunk.header = header.g as number;
      chunk.headerEnd = nl + 1;
      chunk.last = Number.isSafeInteger(header.last) ? (header.last as number) : null;
    } else if (atHeader) {
      return chunk; // no valid header: the caller decides (damage, or a journal to replace)
    } else if (isEntry(value)) {
      chunk.entries.push({ entry: value, end: offset + nl + 1 });
    } else if (bytes.indexOf(NL, nl + 1) < 0) {
      return chunk; // torn last line
    } else {
      throw new LedgerDamageError(
        file,
        `is corrupt at byte ${offset + start} (a line that is not a record, with more lines after it); it was left untouched`,
      );
    }
  }
  return chunk;
}

/**
 * The journal file at `<ledger>.journal`: stat, read from an offset, append, replace.
 *
 * The hot path (stat, read, append + fdatasync) uses synchronous fs calls and keeps the file open
 * between appends. Each async call is a libuv threadpool round trip, and a write made ~10 of them
 * (open, stat, write, datasync, close, …): measured, reserve + settle spent most of its ~6–9 ms
 * idle, waiting on those hops. Synchronously, an append + fdatasync blocks the event loop for
 * ~0.3 ms (the disk's flush) and a stat ~10 µs, which is acceptable for a ledger write. The open
 * descriptor is used only while its inode is the one the caller found at the path under the lock;
 * otherwise (compaction, another process replaced the file) it is closed and the path reopened.
 */
export class JournalFile {
  /** The journal kept open for appends, and its inode; null when none is open. */
  private fd: number | null = null;
  private fdIno: bigint | null = null;

  /** `notice` hears what the journal repaired on its own (a torn tail cut); default: a process warning on stderr. */
  constructor(
    readonly path: string,
    private readonly notice: (message: string) => void = (m) => process.emitWarning(m, 'OffloadLedger'),
  ) {}

  /** Inode and size now, or null when there is no journal. Throws LedgerDamageError when it is read-only, LedgerFileError on other errors. */
  // eslint-disable-next-line @typescript-eslint/require-await -- one sync stat behind the async contract; its throws reach callers as rejections
  async stat(): Promise<JournalStat | null> {
    try {
      const st = statSync(this.path, { bigint: true });
      assertWritable(this.path, st.mode);
      return { ino: st.ino, size: Number(st.size), mtimeNs: st.mtimeNs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if (err instanceof LedgerFileError) throw err;
      throw new LedgerFileError(`cannot read ledger journal ${this.path}: ${describe(err)}`, { cause: err });
    }
  }

  /**
   * The bytes from `offset` to the end of the journal whose inode is `ino`, with the file's mtime
   * when they were read and the header's `last` (null: none, or offset 0, where the header is in
   * the bytes), or null when the path no longer holds that file (replaced or removed meanwhile).
   * The header is read before the size is taken: appenders write their lines before `last`, so
   * the bytes read then hold at least `last` complete records unless the journal was cut.
   * Throws LedgerFileError.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- sync reads of one fd (checked and read through it) behind the async contract
  async readFrom(
    ino: bigint,
    offset: number,
  ): Promise<{ bytes: Buffer; mtimeNs: bigint; headerLast: number | null } | null> {
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'r');
      let headerLast: number | null = null;
      if (offset > 0) {
        const head = Buffer.alloc(Math.min(offset, 128));
        const n = readSync(fd, head, 0, head.length, 0);
        const nl = head.subarray(0, n).indexOf(NL);
        const value = nl > 0 ? parseHeader(head.subarray(0, nl)) : null;
        headerLast = value?.last ?? null;
      }
      const st = fstatSync(fd, { bigint: true });
      if (st.ino !== ino) return null;
      const length = Math.max(0, Number(st.size) - offset);
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const bytesRead = readSync(fd, buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return { bytes: buf.subarray(0, got), mtimeNs: st.mtimeNs, headerLast };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new LedgerFileError(`cannot read ledger journal ${this.path}: ${describe(err)}`, { cause: err });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** The open descriptor of the journal whose inode is `ino`: the kept one, or the path reopened. */
  private openFor(ino: bigint): number {
    if (this.fd !== null && this.fdIno === ino) return this.fd;
    this.close();
    const fd = openSync(this.path, 'r+');
    const st = fstatSync(fd, { bigint: true });
    if (st.ino !== ino) {
      closeSync(fd);
      throw new LedgerFileError(
        `ledger journal ${this.path} was replaced while the lock was held; nothing was written`,
      );
    }
    this.fd = fd;
    this.fdIno = ino;
    return fd;
  }

  /**
   * Writes `lines` (one or more complete lines: a group commit appends its transactions' lines in
   * one write) at byte `offset` of the journal whose inode is `ino`, dropping whatever followed
   * (a torn tail), then fdatasync. Call holding the lock, with `ino` the inode found at the path
   * under it. With `mark` (the journal's generation and the sequence number of the last line in
   * `lines`), the header's `last` is rewritten after the lines, before the one fdatasync. Returns
   * the new size and mtime. Throws LedgerFileError (lock lost, journal replaced, I/O error); the
   * journal is then cut back to `offset` when possible.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- append + fdatasync stay sync (BENCHMARKS.md, ledger stalls: ~0.3-0.5 ms) behind the async contract
  async append(
    ino: bigint,
    offset: number,
    lines: string,
    guard: LockGuard,
    mark?: { g: number; n: number },
  ): Promise<{ size: number; mtimeNs: bigint }> {
    const bytes = Buffer.from(lines, 'utf8');
    let fd: number | undefined;
    let writing = false;
    try {
      fd = this.openFor(ino);
      const size = Number(fstatSync(fd, { bigint: true }).size);
      if (size < offset)
        throw new LedgerFileError(
          `ledger journal ${this.path} was cut below byte ${offset} by someone else; nothing was written`,
        );
      if (size > offset) {
        ftruncateSync(fd, offset);
        this.notice(
          `ledger journal ${this.path} ended in a torn record (${size - offset} bytes after byte ${offset}: a write cut short by a crash); cut it, every complete record was kept`,
        );
      }
      guard.assertHeld();
      writing = true;
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
      if (mark) writeLast(fd, mark.g, mark.n);
      fdatasyncSync(fd);
      return { size: offset + bytes.length, mtimeNs: fstatSync(fd, { bigint: true }).mtimeNs };
    } catch (err) {
      if (writing && fd !== undefined) {
        try {
          ftruncateSync(fd, offset);
          if (mark) writeLast(fd, mark.g, mark.n - (lines.split('\n').length - 1)); // back to the records that are left
        } catch {
          /* the next writer cuts the torn tail */
        }
      }
      this.close(); // reopened by the next append
      if (err instanceof LedgerFileError) throw err;
      throw new LedgerFileError(`cannot append to ledger journal ${this.path}: ${describe(err)}`, { cause: err });
    }
  }

  /** Closes the descriptor kept for appends (reopened when needed). */
  close(): void {
    const fd = this.fd;
    this.fd = null;
    this.fdIno = null;
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* nothing to keep */
      }
    }
  }

  /**
   * Replaces the journal atomically with an empty one for snapshot generation `g` (temp file,
   * fsync, rename, fsync of the folder). Call holding the lock. Throws LedgerFileError; the old
   * journal is then intact.
   */
  async reset(g: number, guard: LockGuard): Promise<JournalStat> {
    this.close(); // the kept descriptor is of the journal being replaced
    await replaceAtomically(this.path, headerLine(g), guard, 'ledger journal');
    const st = await this.stat();
    if (!st) throw new LedgerFileError(`ledger journal ${this.path} vanished right after it was written`);
    return st;
  }
}
