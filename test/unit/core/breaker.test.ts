import assert from 'node:assert/strict';
import {
  admitThrough,
  BreakerOpenError,
  CLOSED_BREAKER,
  DEFAULT_BREAKER_POLICY,
  evaluate,
  opened,
  resetHint,
  spendTrip,
  velocityWindowStart,
  type BreakerRecord,
  type SpendSnapshot,
} from '../../../src/core/breaker';
import { FailureStreak, isUpstreamFailure } from '../../../src/core/breaker-failures';
import { BudgetExceededError } from '../../../src/core/budget';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');
const P = DEFAULT_BREAKER_POLICY;
const snap = (s: Partial<SpendSnapshot> = {}): SpendSnapshot => ({
  monthSettled: 0,
  monthCap: 10_000_000,
  daySettled: 0,
  dayCap: null,
  windowSettled: 0,
  ...s,
});

describe('circuit breaker rules (core)', () => {
  describe('spendTrip', () => {
    const table: Array<[string, Partial<SpendSnapshot>, string | null]> = [
      ['nothing spent', {}, null],
      ['monthly cap reached exactly', { monthSettled: 10_000_000 }, 'monthly_cap'],
      ['one µUSD under the monthly cap (and under velocity)', { monthSettled: 9_999_999, windowSettled: 0 }, null],
      ['daily cap reached', { daySettled: 2_000_000, dayCap: 2_000_000 }, 'daily_cap'],
      ['daily cap not set', { daySettled: 9_000_000 }, null],
      ['velocity: 20% of the monthly cap within the window', { windowSettled: 2_000_000 }, 'velocity'],
      ['velocity: just under 20%', { windowSettled: 1_999_999 }, null],
    ];
    for (const [name, s, reason] of table) {
      it(`${reason ?? 'does not trip'} when ${name}`, () => {
        assert.equal(spendTrip(snap(s), P, NOW)?.reason ?? null, reason);
      });
    }

    it('sets a cap trip to last until the UTC window ends, and velocity until a manual reset', () => {
      assert.equal(
        spendTrip(snap({ monthSettled: 10_000_000 }), P, NOW)?.until,
        Date.parse('2025-07-01T00:00:00.000Z'),
      );
      assert.equal(
        spendTrip(snap({ daySettled: 1, dayCap: 1 }), P, NOW)?.until,
        Date.parse('2025-06-16T00:00:00.000Z'),
      );
      assert.equal(spendTrip(snap({ windowSettled: 5_000_000 }), P, NOW)?.until, null);
    });

    it('honours a configured velocity (50% in 10 min) and a disabled one (0)', () => {
      const p = { ...P, velocityPct: 50, velocityWindowMs: 600_000 };
      assert.equal(spendTrip(snap({ windowSettled: 4_999_999 }), p, NOW), null);
      assert.equal(spendTrip(snap({ windowSettled: 5_000_000 }), p, NOW)?.reason, 'velocity');
      assert.equal(spendTrip(snap({ windowSettled: 10_000_000 }), { ...P, velocityPct: 0 }, NOW), null);
    });
  });

  describe('evaluate (fake clock)', () => {
    it('opens a closed breaker when a spend rule trips, stamping the time', () => {
      const r = evaluate(CLOSED_BREAKER, snap({ windowSettled: 3_000_000 }), P, NOW);
      assert.deepEqual([r.state, r.reason, r.since], ['open', 'velocity', NOW]);
    });

    it('clears a monthly-cap trip when the month rolls over (UTC) or the cap is raised, not before', () => {
      const trip = opened(spendTrip(snap({ monthSettled: 10_000_000 }), P, NOW)!, NOW);
      assert.equal(evaluate(trip, snap({ monthSettled: 10_000_000 }), P, NOW + 3_600_000).state, 'open');
      const july = Date.parse('2025-07-01T00:00:00.000Z');
      assert.equal(evaluate(trip, snap({ monthSettled: 0 }), P, july).state, 'closed');
      assert.equal(
        evaluate(trip, snap({ monthSettled: 10_000_000, monthCap: 20_000_000 }), P, NOW + 1).state,
        'closed',
      );
    });

    it('moves an upstream-failure trip to half-open after the cooldown, not before', () => {
      const trip = opened({ reason: 'upstream_failures', detail: '5 failed', until: NOW + P.cooldownMs }, NOW);
      assert.equal(evaluate(trip, snap(), P, NOW + P.cooldownMs - 1).state, 'open');
      const half = evaluate(trip, snap(), P, NOW + P.cooldownMs);
      assert.deepEqual([half.state, half.reason, half.trialId], ['half-open', 'upstream_failures', null]);
    });

    it('keeps velocity, manual and provider-cost trips open however long it waits', () => {
      for (const reason of ['velocity', 'manual', 'provider_cost'] as const) {
        const trip = opened({ reason, detail: 'x', until: null }, NOW);
        assert.equal(evaluate(trip, snap(), P, NOW + 90 * 86_400_000).state, 'open', reason);
      }
    });

    it('counts velocity only from the last reset', () => {
      const reset: BreakerRecord = { ...CLOSED_BREAKER, since: NOW - 60_000 };
      assert.equal(velocityWindowStart(reset, P, NOW), NOW - 60_000);
      assert.equal(velocityWindowStart(CLOSED_BREAKER, P, NOW), NOW - P.velocityWindowMs);
    });
  });

  describe('admitThrough', () => {
    it('admits when closed, refuses when open with a BreakerOpenError that is a BudgetExceededError naming the reset', () => {
      assert.equal(
        admitThrough(CLOSED_BREAKER, 'r1', () => false),
        CLOSED_BREAKER,
      );
      const open = opened({ reason: 'manual', detail: 'tripped by hand', until: null }, NOW);
      assert.throws(
        () => admitThrough(open, 'r1', () => false),
        (err: unknown) =>
          err instanceof BreakerOpenError &&
          err instanceof BudgetExceededError &&
          err.cap === 'breaker' &&
          /manual: tripped by hand/.test(err.message) &&
          /status --reset/.test(err.message),
      );
    });

    it('lets exactly one trial through when half-open, and a new one once that trial is gone', () => {
      const half: BreakerRecord = {
        ...opened({ reason: 'upstream_failures', detail: 'x', until: NOW }, NOW),
        state: 'half-open',
      };
      const withTrial = admitThrough(half, 'trial-1', () => false);
      assert.equal(withTrial.trialId, 'trial-1');
      assert.throws(
        () => admitThrough(withTrial, 'r2', (id) => id === 'trial-1'),
        /half-open, its one trial call is in flight/,
      );
      assert.equal(admitThrough(withTrial, 'r3', () => false).trialId, 'r3');
    });
  });

  it('says what resets each reason', () => {
    assert.match(resetHint('monthly_cap'), /1st of next month/);
    assert.match(resetHint('upstream_failures'), /trial call/);
    assert.match(resetHint('velocity'), /manual reset/);
    assert.match(resetHint(null), /closed/);
  });

  describe('FailureStreak (cockatiel ConsecutiveBreaker)', () => {
    it('trips on the Nth failure in a row, and a success in between starts over', () => {
      const s = new FailureStreak(3);
      assert.deepEqual([s.failure(), s.failure()], [false, false]);
      s.success();
      assert.deepEqual([s.failure(), s.failure(), s.failure()], [false, false, true]);
      assert.equal(s.count, 0, 'counting starts over after a trip');
      assert.throws(() => new FailureStreak(0), RangeError);
    });

    const cases: Array<[string, unknown, boolean, boolean]> = [
      ['a network error (no status)', new Error('ECONNREFUSED'), false, true],
      ['HTTP 500', { status: 500 }, false, true],
      ['HTTP 429', { status: 429 }, false, true],
      ['HTTP 400 (the request, not the provider)', { status: 400 }, false, false],
      ['an aborted call', new Error('aborted'), true, false],
    ];
    for (const [name, err, aborted, counts] of cases) {
      it(`${counts ? 'counts' : 'does not count'} ${name} as an upstream failure`, () => {
        assert.equal(isUpstreamFailure(err, aborted), counts);
      });
    }
  });
});
