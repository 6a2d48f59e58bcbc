import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LedgerCaps } from '../../../src/ledger/ledger';

/** A settable clock, epoch ms. */
export function fakeClock(iso = '2025-06-15T12:00:00.000Z'): { now: () => number; set: (iso: string) => void; advance: (ms: number) => void } {
  let t = Date.parse(iso);
  return { now: () => t, set: (next) => { t = Date.parse(next); }, advance: (ms) => { t += ms; } };
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
