/**
 * The backends the Ledger contract suite runs against: the sql.js file ledger and the PostgreSQL
 * team ledger (a database of its own per test, test/support/pg-server.ts). A backend opens any
 * number of ledgers on one store (standing in for processes, or members), and says how one of
 * them "dies" the way that backend notices: a sql.js process by its pid, a team ledger by its lease.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerOptions } from '../../../../src/ledger/ledger-options';
import { openPostgresLedger, type PostgresLedgerOptions } from '../../../../src/ledger/postgres/open';
import { openLedger, type HostLedger } from '../../../../src/ledger/sqlite-ledger';
import { createDatabase, dropDatabase } from '../../../support/pg-server';
import { tempDir } from '../helpers';

/** A lease short enough that a ledger that stops renewing is swept within a test. */
const TEST_LEASE_MS = 600;

/** Options a contract test passes; `identity` and `pid` tell the ledgers apart. */
export type OpenOptions = LedgerOptions & Pick<PostgresLedgerOptions, 'onBreakerChange'>;

/** One store of one backend for one test. */
export interface Store {
  /** Opens another ledger on the store (closed by cleanup unless closed before). */
  open(opts: OpenOptions): Promise<HostLedger>;
  /** Makes `ledger`'s process count as gone for the next reclaimOrphans of another ledger. */
  kill(ledger: HostLedger): Promise<void>;
  /** The liveness probe to pass to reclaimOrphans (a team ledger ignores it: leases decide). */
  isAlive(pid: number): boolean;
  cleanup(): Promise<void>;
}

/** A backend: its name (in the suite's titles) and how to make a fresh store. */
export interface Backend {
  name: 'sqljs' | 'postgres';
  store(): Promise<Store>;
}

const sqljs: Backend = {
  name: 'sqljs',
  async store() {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const dead = new Set<number>();
    const opened: HostLedger[] = [];
    let nextPid = 100_000;
    const pids = new Map<HostLedger, number>();
    return {
      async open(opts) {
        const pid = opts.pid ?? nextPid++;
        const l = await openLedger(file, { ...opts, pid, isAlive: (p) => !dead.has(p) });
        opened.push(l);
        pids.set(l, pid);
        return l;
      },
      async kill(ledger) {
        dead.add(pids.get(ledger)!);
      },
      isAlive: (pid) => !dead.has(pid),
      async cleanup() {
        await Promise.allSettled(opened.map((l) => l.close()));
        tmp.cleanup();
      },
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async store() {
    const url = await createDatabase();
    const opened: HostLedger[] = [];
    return {
      async open(opts) {
        const l = await openPostgresLedger(url, { leaseTtlMs: TEST_LEASE_MS, poolSize: 4, ...opts });
        opened.push(l);
        return l;
      },
      async kill(ledger) {
        await ledger.close(); // its heartbeat stops; its rows stay, as a SIGKILL leaves them
        await sleep(TEST_LEASE_MS + 200);
      },
      isAlive: () => true,
      async cleanup() {
        await Promise.allSettled(opened.map((l) => l.close()));
        await dropDatabase(url);
      },
    };
  },
};

/** Every backend the contract runs against. */
export const BACKENDS: readonly Backend[] = [sqljs, postgres];
