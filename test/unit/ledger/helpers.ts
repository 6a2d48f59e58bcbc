import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LedgerCaps } from '../../../src/ledger/ledger';
import { loadSqlJs, type Database, type SqlValue } from '../../../src/ledger/sqljs';

/** A settable clock, epoch ms. */
export function fakeClock(iso = '2025-06-15T12:00:00.000Z'): {
  now: () => number;
  set: (iso: string) => void;
  advance: (ms: number) => void;
} {
  let t = Date.parse(iso);
  return {
    now: () => t,
    set: (next) => {
      t = Date.parse(next);
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Caps in µUSD from USD-ish numbers for readable tests. */
export function caps(monthlyMicros: number, dailyMicros: number | null = null): LedgerCaps {
  return { monthlyMicros, dailyMicros };
}

/** A fresh temp folder per test; call the returned cleanup in afterEach. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'offload-ledger-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Usage + cost for a settle. */
export function spend(costMicros: number, model = 'gpt-4o-mini') {
  return { model, costMicros, status: 'ok', usage: { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 } };
}

/**
 * The ledger as it is on disk, read with a fresh sql.js and none of the ledger's code: the snapshot
 * `file`, plus the complete lines of `<file>.journal` when its header names the snapshot's
 * generation (a torn or unparsable last line is ignored). Close the returned database.
 */
export async function readLedgerFile(file: string): Promise<Database> {
  const db = new (await loadSqlJs()).Database(readFileSync(file));
  const gen = db.exec('SELECT generation FROM journal_state WHERE id = 1')[0]?.values[0]?.[0];
  const journal = `${file}.journal`;
  if (!existsSync(journal)) return db;
  const text = readFileSync(journal, 'utf8');
  const lines = text.split('\n').slice(0, -1); // the part after the last newline is torn
  if (JSON.parse(lines[0] ?? 'null')?.g !== gen) return db;
  let seq = 0;
  for (const [i, line] of lines.slice(1).entries()) {
    let entry: { g: number; n: number; s: Array<[string, unknown[], number]> };
    try {
      entry = JSON.parse(line);
    } catch (err) {
      if (i === lines.length - 2) break; // torn last line
      throw err;
    }
    if (entry.g !== gen || entry.n !== ++seq)
      throw new Error(`journal line ${i + 1} is ${entry.g}/${entry.n}, expected ${String(gen)}/${seq}`);
    db.run('BEGIN');
    for (const [sql, params] of entry.s) {
      db.run(
        sql,
        params.map((p) =>
          p !== null && typeof p === 'object'
            ? 'b' in p
              ? Buffer.from(String(p.b), 'base64')
              : Number((p as { n: string }).n)
            : p,
        ) as SqlValue[],
      );
    }
    db.run('COMMIT');
  }
  return db;
}

/** Reads snapshot + journal with a fresh sql.js (no lock, no ledger code) and runs `sql`: its first result's rows. */
export async function queryLedgerFile(file: string, sql: string): Promise<unknown[][]> {
  const db = await readLedgerFile(file);
  try {
    return db.exec(sql)[0]?.values ?? [];
  } finally {
    db.close();
  }
}
