import { createClock } from '@sinonjs/fake-timers';
import { setImmediate as loopTurn } from 'node:timers/promises';

/** A fake clock of @sinonjs/fake-timers, not installed: the global timers and Date stay real. */
export type FakeClock = ReturnType<typeof createClock>;

/** A fake clock starting at `startMs` (epoch ms; default now), to pass as a `timers` option. */
export function fakeTimers(startMs = Date.now()): FakeClock {
  return createClock(startMs);
}

/**
 * Settles `work` while firing `clock`'s timers, the earliest first, one per turn of the (real)
 * event loop, so the real I/O between two sleeps (file locks, journal appends) still runs for
 * real: only the time the code under test sleeps on `clock` is skipped. Throws when more than
 * `maxTimers` timers fired (a wait that never ends). Resolves or rejects as `work` does.
 */
export async function settleOn<T>(clock: FakeClock, work: Promise<T>, maxTimers = 10_000): Promise<T> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  settled.catch(() => undefined); // observed below; no unhandled rejection meanwhile
  for (let fired = 0; ;) {
    await loopTurn();
    if (done) return settled;
    if (clock.countTimers() === 0) continue;
    if (++fired > maxTimers) throw new Error(`${maxTimers} fake timers fired and the work has not settled`);
    clock.next();
  }
}
