import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import type { Timers } from '../core/timers';
import { openSnapshot } from './db-store';
import { snapshotDamage } from './damage';
import { FileStore } from './file-store';
import { JournalFile, type JournalEntry } from './journal';
import { checkLedger, ledgerPaths } from './integrity-check';
import { replay } from './recorder';
import { num } from './rows';
import { ensureSchema, SCHEMA_VERSION } from './schema';
import { loadSqlJs, openDatabase, type Database } from './sqljs';

/** What `ledger repair` did: every line says what it kept, moved aside, or could not recover. */
export interface RepairReport {
  lines: string[];
}

/** A journal read leniently: its header, then complete records in order until the first that is not the next one. */
interface JournalRead {
  header: { g: number; last: number | null } | null;
  entries: JournalEntry[];
  /** Why reading stopped before the end (garbage, a gap, a torn tail), or null. */
  stopped: string | null;
}

type Line = { journal?: number; g?: number; n?: number; s?: unknown; last?: number } | null;

function parseLine(line: string): Line {
  try {
    return JSON.parse(line) as Line;
  } catch {
    return null; // garbage: reading stops there
  }
}

function readJournalLeniently(text: string): JournalRead {
  const out: JournalRead = { header: null, entries: [], stopped: null };
  const parts = text.split('\n');
  const torn = parts.pop() ?? '';
  for (const [i, line] of parts.entries()) {
    const v = parseLine(line);
    if (i === 0) {
      if (v?.journal !== 1 || !Number.isSafeInteger(v.g)) return { ...out, stopped: 'it has no valid header line' };
      out.header = { g: v.g as number, last: Number.isSafeInteger(v.last) ? (v.last as number) : null };
      continue;
    }
    const expected = out.entries.length + 1;
    if (!v || v.g !== out.header?.g || v.n !== expected || !Array.isArray(v.s))
      return { ...out, stopped: `line ${i + 1} is not record ${expected} of generation ${out.header?.g}` };
    out.entries.push(v as JournalEntry);
  }
  if (torn.length > 0) out.stopped = `it ends in a torn record of ${Buffer.byteLength(torn)} bytes`;
  return out;
}

/** Applies records in order until one does not apply; returns how many did. */
function applyRecords(db: Database, entries: JournalEntry[]): { applied: number; failure: string | null } {
  for (const [i, e] of entries.entries()) {
    try {
      replay(db, e.s);
    } catch (err) {
      return { applied: i, failure: `record ${e.n} does not apply (${(err as Error).message})` };
    }
  }
  return { applied: entries.length, failure: null };
}

/** PRAGMA user_version from a SQLite file's header (offset 60, sqlite.org/fileformat.html §1.3); 0 when the bytes are too short. */
function userVersion(bytes: Buffer): number {
  return bytes.length >= 100 ? bytes.readUInt32BE(60) : 0;
}

/**
 * `ledger repair` for the ledger at `file`, explicit and never silent. A sound ledger (checkLedger),
 * or none at all, is left as it is, and so is one of a newer Offload's schema. Otherwise, under the ledger's lock (a
 * lock that is a file is moved aside first; a lock held by a live process refuses the repair):
 * copies every ledger file to `<name>.damaged-<time>` beside it; restores write permission; keeps
 * the snapshot when it is sound (else starts from an empty ledger and says its contents are lost);
 * applies the journal's records in order while they continue it (the first generation of a lost
 * snapshot can be rebuilt this way); then writes a new snapshot (a fresh generation) and an empty
 * journal. Each line of the report says what was kept and what could not be recovered. Throws
 * LedgerFileError when the lock cannot be taken or the new files cannot be written (the damaged
 * copies are then still there). `now` names the copies; `timers` is the clock the waits for a
 * held lock sleep on (default globalThis).
 */
export async function repairLedger(file: string, now = new Date(), timers?: Timers): Promise<RepairReport> {
  const paths = ledgerPaths(file);
  const lines: string[] = [];
  const before = await checkLedger(file);
  if (!before.damaged)
    return { lines: [...before.lines, 'nothing to repair: the ledger is sound; no file was changed'] };
  const version = existsSync(paths.snapshot) ? userVersion(readFileSync(paths.snapshot)) : 0;
  if (version > SCHEMA_VERSION)
    return {
      lines: [
        ...before.lines,
        `refused: ${file} has schema version ${version}, written by a newer Offload (this one reads ${SCHEMA_VERSION}); update Offload instead. No file was changed`,
      ],
    };
  const suffix = `damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
  if (existsSync(paths.lock) && !statSync(paths.lock).isDirectory()) {
    renameSync(paths.lock, `${paths.lock}.${suffix}`);
    lines.push(`moved aside: ${paths.lock} was a file, not a lock folder (now ${paths.lock}.${suffix})`);
  }
  const SQL = await loadSqlJs();
  const files = new FileStore(file, { lockRetries: 20, timers });
  return files.withLock(async (guard) => {
    for (const p of [paths.snapshot, paths.journal]) {
      if (!existsSync(p)) continue;
      copyFileSync(p, `${p}.${suffix}`);
      lines.push(`kept a copy: ${p} → ${p}.${suffix}`);
      if ((statSync(p).mode & 0o200) === 0) {
        chmodSync(p, statSync(p).mode | 0o200);
        lines.push(`restored write permission on ${p}`);
      }
    }
    let db: Database | null = null;
    let snapGen: number | null = null;
    const bytes = existsSync(paths.snapshot) ? readFileSync(paths.snapshot) : null;
    const damage = bytes ? snapshotDamage(bytes) : 'is missing';
    if (!damage && bytes) {
      try {
        const opened = openSnapshot(SQL, file, bytes);
        db = opened.db;
        ensureSchema(db);
        snapGen = num(db, 'SELECT generation FROM journal_state WHERE id = 1');
        lines.push(`kept: the snapshot ${file} (generation ${snapGen})`);
      } catch (err) {
        lines.push(`cannot recover: the snapshot ${file} (${(err as Error).message}); its contents are lost`);
      }
    } else {
      lines.push(`cannot recover: the snapshot ${file} ${damage}; what it held is lost unless the journal rebuilds it`);
    }
    const journalText = existsSync(paths.journal) ? readFileSync(paths.journal, 'utf8') : null;
    const fromScratch = db === null;
    db ??= openDatabase(SQL, null);
    ensureSchema(db);
    if (journalText === null) {
      lines.push(
        `cannot recover: the journal ${paths.journal} is missing; records written after the snapshot (if any) are lost`,
      );
    } else {
      const j = readJournalLeniently(journalText);
      const folded = !fromScratch
        ? {
            prev: num(db, 'SELECT prev_generation FROM journal_state WHERE id = 1'),
            seq: num(db, 'SELECT folded_seq FROM journal_state WHERE id = 1'),
          }
        : null;
      if (!j.header) {
        lines.push(`cannot recover: the journal ${paths.journal}: ${j.stopped ?? 'it is empty'}; its records are lost`);
      } else if (!fromScratch && j.header.g !== snapGen) {
        const inSnapshot = folded && j.header.g === folded.prev && j.entries.length <= folded.seq;
        lines.push(
          inSnapshot
            ? `kept: the journal's ${j.entries.length} records are already in the snapshot (an interrupted compaction)`
            : `cannot recover: the journal ${paths.journal} is of generation ${j.header.g}, which the snapshot (generation ${snapGen}) does not continue; its ${j.entries.length} records were not applied (they stay in the damaged copy)`,
        );
      } else {
        const { applied, failure } = applyRecords(db, j.entries);
        lines.push(`kept: ${applied} journal records${fromScratch ? ', replayed onto an empty ledger' : ''}`);
        if (fromScratch)
          lines.push(
            'cannot recover: rows folded into the lost snapshot before this journal began (earlier generations), if any',
          );
        const lost = Math.max(j.entries.length - applied, (j.header.last ?? 0) - applied);
        if (failure) lines.push(`cannot recover: ${failure}, and the records after it`);
        if (j.stopped)
          lines.push(
            `${lost > 0 ? 'cannot recover' : 'dropped'}: the journal stopped being readable because ${j.stopped}`,
          );
        if (lost > 0)
          lines.push(
            `cannot recover: ${lost} journal records the header counted (up to ${j.header.last ?? applied}) that are not in the file`,
          );
      }
    }
    const gen = randomBytes(6).readUIntBE(0, 6);
    db.run('UPDATE journal_state SET generation = ?, prev_generation = 0, folded_seq = 0 WHERE id = 1', [gen]);
    const calls = num(db, 'SELECT COUNT(*) FROM model_calls');
    const micros = num(db, 'SELECT COALESCE(SUM(cost_micros), 0) FROM model_calls');
    try {
      await files.write(db.export(), guard);
      await new JournalFile(paths.journal).reset(gen, guard);
    } finally {
      db.close();
    }
    lines.push(
      `wrote: a new snapshot ${file} (generation ${gen}, ${calls} spend rows totalling ${(micros / 1e6).toFixed(6)} USD) and an empty journal; paid work is admitted again`,
    );
    return { lines };
  });
}
