import { existsSync, statSync } from 'node:fs';
import { LedgerDamageError } from './damage';
import { fileDbStore } from './journaled-store';
import { LedgerVersionError } from './schema';
import { num } from './rows';

/** What `ledger check` found: `damaged` → exit 1; `lines` say it for a person, one finding each. */
export interface IntegrityReport {
  damaged: boolean;
  lines: string[];
}

/** The files of the ledger at `file`: the snapshot, the journal and the lock folder. */
export function ledgerPaths(file: string): { snapshot: string; journal: string; lock: string } {
  return { snapshot: file, journal: `${file}.journal`, lock: `${file}.lock` };
}

/** What the lock folder says: damage (not a folder), or a note (held now, or stale), or null when there is none. */
function lockFinding(lock: string, staleMs = 10_000): { damage: boolean; line: string } | null {
  let st;
  try {
    st = statSync(lock);
  } catch {
    return null;
  }
  if (!st.isDirectory())
    return {
      damage: true,
      line: `damaged: ${lock} is a file, not a lock folder: no process can take the ledger's lock (ledger repair moves it aside)`,
    };
  const age = Date.now() - st.mtimeMs;
  return {
    damage: false,
    line:
      age > staleMs
        ? `note: ${lock} is stale (left by a process that died ${Math.round(age / 1000)} s ago); the next writer takes it over`
        : `note: ${lock} is held by a running process now`,
  };
}

/**
 * Checks the ledger at `file` without writing anything: opens snapshot + journal read-only with
 * every integrity rule of the store (journaled-store.ts), then SQLite's own `PRAGMA
 * integrity_check`. Reports the generation, the journal records on top of the snapshot, the spend
 * rows and their total, and a torn journal tail (repaired automatically by the next write: not
 * damage). No ledger at all is not damage (a new one is created on first use). Never throws for
 * damage; throws only for errors outside the ledger's files (sql.js cannot load).
 */
export async function checkLedger(file: string): Promise<IntegrityReport> {
  const paths = ledgerPaths(file);
  const lines: string[] = [];
  const lock = lockFinding(paths.lock);
  if (lock) lines.push(lock.line);
  if (!existsSync(paths.snapshot) && !existsSync(paths.journal)) {
    lines.push(`ok: no ledger at ${file} yet; a new one is created on first use`);
    return { damaged: lock?.damage ?? false, lines };
  }
  let store;
  try {
    store = await fileDbStore(file, { readOnly: true, notice: () => undefined });
  } catch (err) {
    if (err instanceof LedgerDamageError && err.file === file && err.damage.startsWith('no longer exists')) {
      // Only the journal of a creation cut short, holding no record: nothing existed yet.
      return {
        damaged: lock?.damage ?? false,
        lines: [
          ...lines,
          `ok: no ledger at ${file} yet (only the empty journal of a creation cut short); a new one is created on first use`,
        ],
      };
    }
    if (err instanceof LedgerDamageError || err instanceof LedgerVersionError)
      return { damaged: true, lines: [...lines, `damaged: ${err.message}`] };
    throw err;
  }
  try {
    const { integrity, calls, micros } = await store.read((db) => ({
      integrity: String(db.exec('PRAGMA integrity_check')[0]?.values[0]?.[0] ?? 'no answer'),
      calls: num(db, 'SELECT COUNT(*) FROM model_calls'),
      micros: num(db, 'SELECT COALESCE(SUM(cost_micros), 0) FROM model_calls'),
    }));
    if (integrity !== 'ok')
      return {
        damaged: true,
        lines: [
          ...lines,
          `damaged: ledger file ${file} fails SQLite's integrity_check: ${integrity}; run \`node dist/worker.js ledger repair\``,
        ],
      };
    const state = store.state();
    let torn = 0;
    try {
      torn = Math.max(0, statSync(paths.journal).size - state.journalBytes);
    } catch {
      /* no journal: a pre-journal ledger, reported by the store if it matters */
    }
    if (torn > 0)
      lines.push(
        `note: ${paths.journal} ends in a torn record of ${torn} bytes (a write cut short by a crash); the next write cuts it, every complete record is kept`,
      );
    lines.push(
      `ok: ${file}: generation ${state.generation}, ${state.records} journal records on top of the snapshot, ${calls} spend rows totalling ${(micros / 1e6).toFixed(6)} USD`,
    );
    return { damaged: lock?.damage ?? false, lines };
  } finally {
    await store.close();
  }
}
