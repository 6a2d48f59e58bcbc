import type { Ledger } from '../ledger/ledger';

/** How often a process looks for cancels other processes asked for its jobs, ms. */
export const CANCEL_POLL_MS = 500;

/** The interval timer the watch uses (global setInterval by default; tests pass their own). */
export interface IntervalTimer {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const globalTimer: IntervalTimer = {
  setInterval(fn, ms) {
    const handle = setInterval(fn, ms);
    handle.unref(); // a watch alone never keeps the process alive
    return handle;
  },
  clearInterval(handle) {
    clearInterval(handle as ReturnType<typeof setInterval>);
  },
};

/**
 * Watches the ledger for cancels asked for this process's jobs by other processes
 * (Ledger.requestCancel: the `cancel` tool in another VS Code window or the CLI) and hands each
 * to `abort` once. Runs only while `jobIds()` is non-empty: `wake()` starts the timer (call it
 * when a job is queued), and a poll that finds no job stops it. A poll that fails (the ledger
 * unreadable for a moment) is reported through `onError` and tried again at the next tick.
 */
export class CancelWatch {
  private handle: unknown;
  private polling = false;
  private readonly aborted = new Set<string>();

  constructor(
    private readonly ledger: Pick<Ledger, 'cancelRequested'>,
    private readonly opts: {
      jobIds: () => string[];
      abort: (jobId: string) => void;
      pollMs?: number;
      timer?: IntervalTimer;
      onError?: (message: string) => void;
    },
  ) {}

  /** Starts polling every `pollMs` (default CANCEL_POLL_MS) unless it already runs. */
  wake(): void {
    if (this.handle !== undefined) return;
    this.handle = (this.opts.timer ?? globalTimer).setInterval(
      () => void this.poll(),
      this.opts.pollMs ?? CANCEL_POLL_MS,
    );
  }

  /** Stops polling (at shutdown). A later wake() starts again. */
  stop(): void {
    if (this.handle === undefined) return;
    (this.opts.timer ?? globalTimer).clearInterval(this.handle);
    this.handle = undefined;
  }

  /** One look at the ledger: aborts the jobs whose cancel was requested. Resolves when done; never rejects. */
  async poll(): Promise<void> {
    if (this.polling) return;
    const ids = this.opts.jobIds();
    if (ids.length === 0) {
      this.stop();
      return;
    }
    this.polling = true;
    for (const id of this.aborted) if (!ids.includes(id)) this.aborted.delete(id);
    try {
      for (const id of await this.ledger.cancelRequested(ids)) {
        if (this.aborted.has(id)) continue;
        this.aborted.add(id);
        this.opts.abort(id);
      }
    } catch (err) {
      this.opts.onError?.(`cannot read cancel requests from the ledger: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }
}
