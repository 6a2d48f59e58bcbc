/** What most contract tests start from: a store, one ledger on it (the test's clock, velocity rule off), and job j1. */
import { DEFAULT_BREAKER_POLICY } from '../../../../src/core/breaker';
import type { HostLedger } from '../../../../src/ledger/sqlite-ledger';
import { caps, fakeClock } from '../helpers';
import type { Backend, OpenOptions, Store } from './backends';

/** The fixture of one test: its store, clock and first ledger; `open` adds ledgers on the same store and clock. */
export interface Fixture {
  store: Store;
  clock: ReturnType<typeof fakeClock>;
  ledger: HostLedger;
  open(opts?: Partial<OpenOptions>): Promise<HostLedger>;
}

/** A fixture whose ledgers enforce `monthlyMicros` (default $1) with the velocity rule off unless `opts.breaker` says otherwise. */
export async function fixture(backend: Backend, opts: Partial<OpenOptions> = {}): Promise<Fixture> {
  const store = await backend.store();
  const clock = fakeClock('2025-06-15T12:00:00.000Z');
  const open = (more: Partial<OpenOptions> = {}) =>
    store.open({
      caps: caps(1_000_000),
      clock: clock.now,
      breaker: { ...DEFAULT_BREAKER_POLICY, velocityPct: 0 },
      identity: { member: 'ann', machine: 'laptop-a' },
      ...opts,
      ...more,
    });
  const ledger = await open();
  await ledger.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: { prompt: 'hi' } });
  return { store, clock, ledger, open };
}

/** Reserves `micros` for `jobId` (default j1) on `l`. */
export const reserve = (l: HostLedger, micros: number, jobId = 'j1') =>
  l.reserve({ jobId, model: 'gpt-4o-mini', micros });
