import { Serial } from './db-store';
import type { Database } from './sqljs';

/** A write transaction waiting for (or run in) a group commit, with what its caller gets. */
export interface Pending {
  fn: (db: Database) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  /** Set by the commit: this transaction's result, or the error its caller gets. */
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/**
 * The file ledger's order of work, one task at a time: writes queued in the same turn of the event
 * loop are gathered into one batch, committed by `commit` (one lock and one fdatasync for all
 * of them, journaled-store.ts); a read runs after every write queued before it, and writes queued
 * after a read run after it. `commit` sets each item's `outcome`; a throw fails the whole batch.
 */
export class GroupCommit {
  private readonly serial = new Serial();
  /** Writes waiting for the next batch; null once that batch started (or a read was queued after them). */
  private gathering: Pending[] | null = null;
  /** The gathering batch, not queued on `serial` yet: it starts once this turn of the event loop has run its I/O callbacks. */
  private deferred: { batch: Pending[]; immediate: NodeJS.Immediate } | null = null;

  constructor(private readonly commit: (batch: Pending[]) => Promise<void>) {}

  /** Queues a write transaction; resolves with its result once its batch is durable. Rejects once closed. */
  write(fn: (db: Database) => unknown): Promise<unknown> {
    if (this.serial.closed) return Promise.reject(new Error('the ledger is closed'));
    return new Promise((resolve, reject) => {
      const item: Pending = { fn, resolve, reject };
      if (this.gathering) {
        this.gathering.push(item);
        return;
      }
      const batch = [item];
      this.gathering = batch;
      // The batch starts in setImmediate, after the I/O callbacks of this turn of the event loop: requests that arrived together
      // (their reserves, or the settles of answers that came back together) then share one lock and one fdatasync, which are
      // synchronous and would otherwise be paid once per request. Alone, a write waits only for the rest of this turn.
      const immediate = setImmediate(() => {
        this.deferred = null;
        this.run(batch);
      });
      this.deferred = { batch, immediate };
    });
  }

  /** Runs `task` after every write queued before it; writes queued after it run after it. */
  read<T>(task: () => Promise<T>): Promise<T> {
    this.undefer();
    this.gathering = null;
    return this.serial.run(task);
  }

  /** Lets every queued write finish, then refuses new work. */
  async close(): Promise<void> {
    this.undefer();
    this.gathering = null;
    await this.serial.run(() => Promise.resolve(undefined));
    this.serial.closed = true;
  }

  private run(batch: Pending[]): void {
    void this.serial.run(async () => {
      if (this.gathering === batch) this.gathering = null;
      try {
        await this.commit(batch);
      } catch (err) {
        for (const it of batch) it.outcome = { ok: false, error: err };
      }
      for (const it of batch) {
        const o = it.outcome ?? { ok: false, error: new Error('ledger write was not run') };
        if (o.ok) it.resolve(o.value);
        else it.reject(o.error);
      }
    });
  }

  /** Queues the deferred batch now, so that what is queued next runs after it. */
  private undefer(): void {
    if (!this.deferred) return;
    clearImmediate(this.deferred.immediate);
    const { batch } = this.deferred;
    this.deferred = null;
    this.run(batch);
  }
}
