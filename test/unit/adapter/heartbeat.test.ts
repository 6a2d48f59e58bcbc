import { deepStrictEqual } from 'node:assert/strict';
import { createClock } from '@sinonjs/fake-timers';
import { Heartbeat, type HeartbeatTimers } from '../../../src/adapter/heartbeat';

/** A @sinonjs/fake-timers clock (not installed) as the heartbeat's timers: time moves only through advance(). */
function fakeTimers() {
  const clock = createClock(0);
  const timers: HeartbeatTimers = {
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (h) => clock.clearTimeout(h as ReturnType<typeof clock.setTimeout>),
    now: () => clock.now,
  };
  return {
    timers,
    advance: (ms: number) => clock.tick(ms),
    pending: {
      get size() {
        return clock.countTimers();
      },
    },
  };
}

describe('Heartbeat (ping while the upstream is silent)', () => {
  it('beats every interval while nothing is written', () => {
    const { timers, advance } = fakeTimers();
    const beats: number[] = [];
    new Heartbeat(10_000, () => beats.push(timers.now()), timers);
    advance(35_000);
    deepStrictEqual(beats, [10_000, 20_000, 30_000]);
  });

  it('waits a full interval after the last write before beating', () => {
    const { timers, advance } = fakeTimers();
    const beats: number[] = [];
    const hb = new Heartbeat(10_000, () => beats.push(timers.now()), timers);
    advance(6_000);
    hb.touch();
    advance(9_000); // t = 15 s: 9 s after the write, no beat yet
    deepStrictEqual(beats, []);
    advance(2_000); // t = 17 s
    deepStrictEqual(beats, [16_000]);
  });

  it('never beats while writes keep coming, and stops for good', () => {
    const { timers, advance, pending } = fakeTimers();
    const beats: number[] = [];
    const hb = new Heartbeat(10_000, () => beats.push(timers.now()), timers);
    for (let i = 0; i < 10; i++) {
      advance(5_000);
      hb.touch();
    }
    hb.stop();
    advance(60_000);
    deepStrictEqual([beats, pending.size], [[], 0]);
  });
});
