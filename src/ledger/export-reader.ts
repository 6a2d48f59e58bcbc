/**
 * Reading a `ledger export` file (format: core/ledger-export.ts) for `ledger import`: line by line
 * through readline over a file stream, so a file of any size is never one string; every line is
 * checked by parseExportLine, and the file as a whole by the rules a loader needs (below).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ExportFormatError, jobKey, parseExportLine, type ExportHeader, type ExportLine } from '../core/ledger-export';

/** A line after the header: a job, a model call or a breaker event. */
export type ExportRow = Exclude<ExportLine, ExportHeader>;

/** A row, its 1-based line number in the file and its line's length (UTF-16 code units, ≈ bytes). */
export interface NumberedRow {
  lineNo: number;
  row: ExportRow;
  chars: number;
}

/** An export being read: its header (line 1), then its rows as they are read. */
export interface ExportReader {
  header: ExportHeader;
  /** The rows in file order; iterating throws ExportFormatError at the first bad line (see readExport). */
  rows: AsyncIterable<NumberedRow>;
  /** Closes the file when its rows will not be read to the end (iterating them closes it too). */
  close(): void;
}

const COUNTED = { job: 'jobs', model_call: 'model_calls', breaker_event: 'breaker_events' } as const;

/**
 * Opens the export at `file` and reads its header. Its rows are read as they are iterated, each
 * checked by parseExportLine against the header's ledger id, and the file as a whole:
 * - no key appears twice;
 * - a model call's job is on an earlier line (jobs come before calls, as the export writes them);
 * - at the end, the rows of each kind are as many as the header counts (a cut file is refused).
 * The keys seen are held in memory (one short string per row), the rows are not. Iterating throws
 * ExportFormatError naming the line and field (for a count that does not match, line 1 and
 * `counts.<kind>`); reading the header throws ExportFormatError for an empty file or a bad line 1,
 * and the file system's error (ENOENT) for a missing file.
 */
export async function readExport(file: string): Promise<ExportReader> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity })[Symbol.asyncIterator]();
  let first: IteratorResult<string>;
  try {
    first = await lines.next();
  } catch (err) {
    stream.destroy();
    throw err;
  }
  const close = () => {
    void lines.return?.();
    stream.destroy();
  };
  if (first.done) {
    close();
    throw new ExportFormatError(1, '(line)', 'the file is empty: an export starts with its header');
  }
  let header: ExportHeader;
  try {
    header = parseExportLine(first.value, 1) as ExportHeader;
  } catch (err) {
    close();
    throw err;
  }
  async function* rows(): AsyncGenerator<NumberedRow> {
    const ledgerId = header.source.ledger_id;
    const seen = new Set<string>();
    const counts = { jobs: 0, model_calls: 0, breaker_events: 0 };
    let lineNo = 1;
    try {
      for (let next = await lines.next(); !next.done; next = await lines.next()) {
        lineNo++;
        const row = parseExportLine(next.value, lineNo, ledgerId) as ExportRow;
        if (seen.has(row.key)) throw new ExportFormatError(lineNo, 'key', `${row.key} appears twice in the file`);
        if (row.type === 'model_call' && !seen.has(jobKey(row.call.job_id)))
          throw new ExportFormatError(
            lineNo,
            'call.job_id',
            `names job ${row.call.job_id}, which no earlier line of the file holds`,
          );
        seen.add(row.key);
        counts[COUNTED[row.type]]++;
        yield { lineNo, row, chars: next.value.length };
      }
    } finally {
      close();
    }
    for (const kind of Object.values(COUNTED))
      if (counts[kind] !== header.counts[kind])
        throw new ExportFormatError(
          1,
          `counts.${kind}`,
          `the header counts ${header.counts[kind]} ${kind}, the file holds ${counts[kind]}: it was cut short or edited`,
        );
  }
  return { header, rows: rows(), close };
}
