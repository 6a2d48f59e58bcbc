/** The timer functions a Heartbeat uses; tests pass fakes. */
export interface HeartbeatTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Monotonic-enough ms clock. */
  now(): number;
}

const REAL_TIMERS: HeartbeatTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => performance.now(),
};

/**
 * Calls `beat` whenever nothing was written for `intervalMs` (Anthropic streams send `ping`
 * events so that clients and proxies do not time out a silent stream). `touch()` on every write
 * restarts the quiet period; `stop()` ends it. One timer at a time, no interval drift: after a
 * tick that finds a recent write, it sleeps only for the rest of the period.
 */
export class Heartbeat {
  private last: number;
  private handle: unknown;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly beat: () => void,
    private readonly timers: HeartbeatTimers = REAL_TIMERS,
  ) {
    this.last = timers.now();
    this.schedule(intervalMs);
  }

  /** Something was written: the next beat comes intervalMs after now at the earliest. */
  touch(): void {
    this.last = this.timers.now();
  }

  /** No more beats. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.handle);
  }

  private schedule(ms: number): void {
    this.handle = this.timers.setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    if (this.stopped) return;
    const idle = this.timers.now() - this.last;
    if (idle >= this.intervalMs) {
      this.beat();
      this.last = this.timers.now();
      this.schedule(this.intervalMs);
    } else this.schedule(this.intervalMs - idle);
  }
}
