import { randomBytes } from 'node:crypto';
import { LedgerDamageError } from './damage';
import { num } from './rows';
import type { Database } from './sqljs';

/**
 * A loaded ledger's place in the history of its files: the snapshot's generation, what it folded
 * in, and how many records of the journal were applied on top (journaled-store.ts keeps one per
 * replica).
 */
export interface Lineage {
  /** The snapshot's generation (journal_state); journal lines of another generation do not apply. */
  gen: number;
  /** The generation the snapshot folded in and its last record (null: a bare snapshot, which has none). */
  prevGen: number | null;
  folded: number;
  /** A SQLite file without the ledger's tables yet (schema version 0): no journal is expected beside it. */
  bare: boolean;
  /** Journal records applied on top of the snapshot: the last sequence number. */
  seq: number;
  /** Given the ledger's tables in memory, not written yet: its generation is not on disk. */
  unpersisted: boolean;
}

/** Generations a process may see pass between two catch-ups: compactions add 1 each; a fresh ledger's generation is random (48 bits). */
const MAX_GENERATIONS_BETWEEN = 1_000_000;

/** What a snapshot of schema `version` (0: bare, else a released version: journal_state is in every one) says about its place in the journal's history (journal_state). */
export function journalState(db: Database, version: number): Pick<Lineage, 'gen' | 'prevGen' | 'folded' | 'bare'> {
  if (version === 0) return { gen: 0, prevGen: null, folded: 0, bare: true };
  const gen = num(db, 'SELECT generation FROM journal_state WHERE id = 1');
  return {
    gen,
    prevGen: num(db, 'SELECT prev_generation FROM journal_state WHERE id = 1'),
    folded: num(db, 'SELECT folded_seq FROM journal_state WHERE id = 1'),
    bare: false,
  };
}

/**
 * Damage when the files at `file` (snapshot) and `journalPath`, reloaded as `next`, hold less than
 * this process had read from them as `prev` (cut, or replaced by an older copy or another ledger);
 * null when `next` continues `prev` (same generation and at least as many records, or later
 * generations that folded in at least what `prev` had read).
 */
export function wentBack(prev: Lineage, next: Lineage, file: string, journalPath: string): LedgerDamageError | null {
  if (prev.unpersisted || prev.bare || next.prevGen === null) return null;
  if (next.gen === prev.gen) {
    return next.seq < prev.seq
      ? new LedgerDamageError(
          journalPath,
          `went back from record ${prev.seq} to ${next.seq} of generation ${prev.gen} while the ledger was open (cut, or replaced by an older copy)`,
        )
      : null;
  }
  if (next.gen === prev.gen + 1 && next.prevGen === prev.gen) {
    return next.folded < prev.seq
      ? new LedgerDamageError(
          file,
          `folded in only ${next.folded} records of generation ${prev.gen}, but this process had read ${prev.seq} (replaced by an older copy?)`,
        )
      : null;
  }
  if (next.gen > prev.gen && next.gen - prev.gen < MAX_GENERATIONS_BETWEEN) return null;
  return new LedgerDamageError(
    file,
    `was replaced by a ledger of generation ${next.gen} that does not continue generation ${prev.gen}, which this process had read (an older copy, or another ledger)`,
  );
}

/** The in-memory database and how far it has read the files (its place in their history: Lineage). */
export interface Replica extends Lineage {
  db: Database;
  /** Identity of the snapshot file it was loaded from (FileStore stamp); null before it was first written. */
  stamp: string | null;
  /** The journal's header has the `last` field, rewritten by every append. */
  marked: boolean;
  /** The journal file followed (inode) and its bytes consumed. */
  jIno: bigint | null;
  /** The journal's mtime as of the bytes consumed (null: unknown); a change without growth is a rewrite in place: reload. */
  jMtime: bigint | null;
  offset: number;
  /** The journal on disk is missing or belongs to another generation: a writer replaces it before appending. */
  stale: boolean;
  /** Memory may differ from the files (a failed write or compaction): reload before the next call. */
  dirty: boolean;
}

/** A fresh generation for a new snapshot: random, so a leftover journal never matches it (48 bits). */
export function freshGeneration(): number {
  return randomBytes(6).readUIntBE(0, 6);
}
