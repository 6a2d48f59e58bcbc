import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** Default bound of one job's log file, bytes (the newest lines are kept). */
export const JOB_LOG_MAX_BYTES = 256 * 1024;

/** One line of a job log file: its 1-based number over the job's whole log, and its (redacted) text. */
interface FileLine {
  n: number;
  line: string;
}

/** The folder of job log files for the ledger file at `ledgerPath`: `<ledger dir>/jobs`. */
export function jobLogDir(ledgerPath: string): string {
  return join(dirname(ledgerPath), 'jobs');
}

/** The log file of job `jobId` in `dir`: `<dir>/<jobId>.log`. */
export function jobLogPath(dir: string, jobId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(jobId))
    throw new Error(`job_id ${JSON.stringify(jobId)} cannot name a log file: only letters, digits, - and _`);
  return join(dir, `${jobId}.log`);
}

/**
 * The writer of one job's log file, so that `tail` works from every process that shares the
 * ledger (the file lives beside it). Lines arrive already redacted (the engine redacts them).
 * The file is JSON Lines, `{"n": <line number>, "line": "<text>"}`, so a reader knows how many
 * lines the job has logged even after old ones were dropped, and skips a last line still being
 * written. Bounded: when an append takes the file past `maxBytes`, the newest half is kept
 * (replaced with write-file-atomic, so a reader sees the old file or the new one, never a torn
 * one). Appends are synchronous (one small write per line, in order).
 * A file that cannot be written is reported once through `onError` and then left alone: the
 * job runs on, and its own process still tails it from memory.
 */
export class JobLogFile {
  private count = 0;
  private size = 0;
  private broken = false;

  constructor(
    readonly path: string,
    private readonly opts: { maxBytes?: number; onError?: (message: string) => void } = {},
  ) {}

  /** Appends one line (newlines inside it become spaces, so one log line is one file line). */
  append(line: string): void {
    if (this.broken) return;
    this.count++;
    const text = `${JSON.stringify({ n: this.count, line: line.replace(/\r?\n/g, ' ') } satisfies FileLine)}\n`;
    try {
      if (this.count === 1) mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      appendFileSync(this.path, text, { mode: 0o600 });
      this.size += Buffer.byteLength(text);
      if (this.size > (this.opts.maxBytes ?? JOB_LOG_MAX_BYTES)) this.truncateFront();
    } catch (err) {
      this.broken = true;
      this.opts.onError?.(
        `job log file ${this.path} cannot be written (${(err as Error).message}); tail from other processes will not see this job's new lines`,
      );
    }
  }

  /** Keeps the newest half of the bound, cut at a line start; atomic for readers (write-file-atomic). */
  private truncateFront(): void {
    const data = readFileSync(this.path);
    const keep = Math.floor((this.opts.maxBytes ?? JOB_LOG_MAX_BYTES) / 2);
    let start = data.length - keep;
    start = data.indexOf(0x0a, Math.max(0, start - 1)) + 1;
    const kept = data.subarray(start);
    writeFileAtomic.sync(this.path, kept, { mode: 0o600, fsync: false }); // a log: atomic for readers, durability not needed
    this.size = kept.length;
  }
}

/**
 * The last `n` lines of the log file at `path` and the number of lines the job has logged in all
 * (`total`, counting lines dropped from the front). A missing file is `{lines: [], total: 0}`;
 * an unparsable line (the last one, half written) is skipped. Throws on other read errors.
 */
export function readJobLog(path: string, n: number): { lines: string[]; total: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], total: 0 };
    throw err;
  }
  const parsed: FileLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    try {
      const l = JSON.parse(raw) as FileLine;
      if (typeof l.n === 'number' && typeof l.line === 'string') parsed.push(l);
    } catch {
      /* a line still being written */
    }
  }
  return { lines: n > 0 ? parsed.slice(-n).map((l) => l.line) : [], total: parsed.at(-1)?.n ?? 0 };
}

/**
 * Removes the log files in `dir` last written more than `maxAgeMs` before `now` (epoch ms), so
 * ended jobs' logs do not pile up. Returns how many were removed; a missing folder is 0.
 */
export function pruneJobLogs(dir: string, maxAgeMs: number, now: number): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names.filter((n) => n.endsWith('.log'))) {
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs <= maxAgeMs) continue;
      rmSync(path, { force: true });
      removed++;
    } catch {
      /* removed meanwhile by another process */
    }
  }
  return removed;
}
