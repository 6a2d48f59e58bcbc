/** The file ledger store's options and its report of where it stands (journaled-store.ts). */
import type { FoldJob } from './compaction';
import type { FileStoreOptions } from './file-store';

/** Store options beyond the file store's. */
export interface JournaledStoreOptions extends FileStoreOptions {
  /** Open without ever writing (`ledger check`): no file is created or compacted; writes are refused. */
  readOnly?: boolean;
  /** Hears what the store repaired on its own (a torn journal tail cut). Default: a process warning on stderr. */
  notice?: (message: string) => void;
  /**
   * Builds a compaction's new snapshot from the files (compaction.ts). Default foldInWorker, in a
   * worker thread; foldFiles does the same on this thread (unit tests of the journal that are not
   * about the thread, sparing a worker start-up per compaction). A rejection falls back to an
   * export on this thread either way.
   */
  fold?: (job: FoldJob) => Promise<Uint8Array>;
}

/** Where a file-backed store stands (`ledger check`). */
export interface StoreState {
  generation: number;
  /** Records of the journal applied on top of the snapshot. */
  records: number;
  /** Bytes of the journal read (header and complete records); what follows is a torn tail. */
  journalBytes: number;
}
