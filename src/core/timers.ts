/**
 * The clock and the timer a wait runs on. `globalThis` is one (the default everywhere); so is a
 * fake clock of @sinonjs/fake-timers (`createClock()`), which tests pass to skip a wait's sleeps
 * without touching any other timer or the file system's clock.
 */
export interface Timers {
  /** Calls `callback` once, after `ms` ms; the returned handle is not used. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer setTimeout returned; a fired or cleared one is ignored. */
  clearTimeout(handle: unknown): void;
  /** This clock's time: `Date.now()`, epoch ms. */
  Date: { now(): number };
}

/** Resolves after `ms` ms on `timers`' clock. Never rejects. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => {
    timers.setTimeout(resolve, ms);
  });
}
