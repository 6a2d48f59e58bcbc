import { deepStrictEqual } from 'node:assert/strict';
import { Heartbeat, type HeartbeatTimers } from '../../../src/adapter/heartbeat';

/** Fake timers: time moves only through advance(), which fires due callbacks in order. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: HeartbeatTimers = {
    setTimeout(fn, ms) {
      pending.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout(h) {
      pending.delete(h as number);
    },
    now: () => now,
  };
  function advance(ms: number) {
    const end = now + ms;
    for (;;) {
      const next = [...pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      pending.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = end;
  }
  return { timers, advance, pending };
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
