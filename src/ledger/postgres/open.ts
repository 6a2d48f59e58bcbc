/**
 * The team ledger: the Ledger contract on PostgreSQL, shared by every member's VS Code and worker
 * (ARCHITECTURE.md, "Team ledger in one paragraph"). openPostgresLedger migrates the database
 * (migrate.ts), then every operation is one short transaction on a pool; admission is admission.ts,
 * settling settle.ts, leases and the sweeper sweeper.ts, the breaker breaker.ts.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy, type BreakerRecord, type TripReason } from '../../core/breaker';
import type { JobRecord } from '../../core/jobs';
import { assertMicros } from '../../core/money';
import { sleep, type Timers } from '../../core/timers';
import { identityOf } from '../identity';
import type {
  BreakerTrip,
  BudgetLeft,
  Identity,
  JobPatch,
  LedgerCaps,
  MemberRecord,
  NewJob,
  Reservation,
  ReserveRequest,
  SettleInput,
  SpendStats,
} from '../ledger';
import { assertCaps, assertSettleInput, InFlightLimitError, unknownReservationError } from '../ledger-checks';
import { admitPg, scopesOf, SlotsFull } from './admission';
import { effectiveBreaker, readBreaker, settledIn } from './breaker';
import { selectCancelRequested, selectJob, selectJobs, selectJobsChangedSince, selectReservations } from './job-rows';
import { tripIn, resetIn, type BreakerContext } from './breaker-ops';
import { insertJob, markCancel, patchJob } from './job-writes';
import { migrate } from './migrate';
import { clientConfig, openPool } from './pool';
import { ensureScopes, slotKey, type ScopeKey } from './scopes';
import { endReservation, isSettled, readReservation, refreshAfterSpend, teamCaps } from './settle';
import { pgDailySpend, pgListMembers, pgSpendStats } from './stats';
import { SideConnection } from './side-connection';
import { extendLeases, sweep } from './sweeper';
import { effectiveCaps, type TeamCaps } from './team-caps';
import type { PostgresLedgerOptions, TeamLedger } from './team-ledger';
import { adoptWaitingPg } from './adopt';
import { storeAdminKey, writeCaps } from './admin';
import { pgBudgetLeft } from './budget-left';

export type { PostgresLedgerOptions, TeamLedger } from './team-ledger';
export { TeamSchemaVersionError } from './migrate';

class PgLedger implements TeamLedger {
  readonly identity: Identity;
  private current: LedgerCaps;
  private readonly owner = randomUUID();
  private readonly clock: () => number;
  private readonly pid: number;
  private readonly newId: () => string;
  private readonly policy: BreakerPolicy;
  private readonly timers: Timers;
  private readonly ttlMs: number;
  private readonly ensured = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly intervals: NodeJS.Timeout[] = [];
  private sweeping: Promise<number> | null = null;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly side: SideConnection,
    private readonly opts: PostgresLedgerOptions,
  ) {
    this.current = assertCaps(opts.caps);
    this.identity = opts.identity ?? identityOf();
    this.clock = opts.clock ?? Date.now;
    this.pid = opts.pid ?? process.pid;
    this.newId = opts.newId ?? randomUUID;
    this.policy = opts.breaker ?? DEFAULT_BREAKER_POLICY;
    this.timers = opts.timers ?? globalThis;
    this.ttlMs = opts.leaseTtlMs ?? 30_000;
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch(() => {}), ms); // a failed beat or sweep is tried again next time
      t.unref();
      this.intervals.push(t);
    };
    every(Math.max(1, Math.floor(this.ttlMs / 3)), () =>
      this.op(() => extendLeases(side.queryable, this.owner, this.ttlMs)),
    );
    every(opts.sweepMs ?? Math.max(1, Math.floor(this.ttlMs / 2)), () => this.sweepNow());
  }

  /** Runs `fn` unless closed, tracked so close() waits for it. */
  private op<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the team ledger is closed'));
    const p = fn();
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => {});
    return p;
  }

  private async caps_(): Promise<LedgerCaps> {
    return effectiveCaps(this.current, await teamCaps(this.pool));
  }

  /** A breaker change was announced (or may have been missed): tell onBreakerChange what is stored now. */
  async breakerChanged(): Promise<void> {
    if (this.closed || !this.opts.onBreakerChange) return;
    const rec = await readBreaker(this.pool).catch(() => null);
    if (rec) this.opts.onBreakerChange(rec);
  }

  get caps(): LedgerCaps {
    return { ...this.current };
  }

  setCaps(caps: LedgerCaps): void {
    this.current = assertCaps(caps);
  }

  teamCaps(): Promise<TeamCaps> {
    return this.op(() => teamCaps(this.pool));
  }

  async setTeamCaps(caps: TeamCaps): Promise<void> {
    if (caps.monthlyMicros !== null) assertMicros(caps.monthlyMicros, 'monthlyMicros');
    if (caps.dailyMicros !== null) assertMicros(caps.dailyMicros, 'dailyMicros');
    const w = { member: null, ...caps };
    return this.op(() => writeCaps(this.pool, w, this.opts.adminKey, this.clock()));
  }

  setAdminKey(key: string): Promise<void> {
    return this.op(() => storeAdminKey(this.pool, key, this.clock()));
  }

  async createJob(job: NewJob): Promise<JobRecord> {
    const maxCost = job.maxCostMicros ?? null;
    if (maxCost !== null) assertMicros(maxCost, 'maxCostMicros');
    const holder = { ...this.identity, pid: this.pid, owner: this.owner, ttlMs: this.ttlMs };
    return this.op(() => insertJob(this.pool, job, holder, this.clock()));
  }

  updateJob(id: string, patch: JobPatch): Promise<JobRecord> {
    return this.op(() => patchJob(this.pool, id, patch, this.clock()));
  }

  getJob(id: string): Promise<JobRecord | undefined> {
    return this.op(() => selectJob(this.pool, id));
  }

  listJobs(limit = 50): Promise<JobRecord[]> {
    return this.op(() => selectJobs(this.pool, limit));
  }

  jobsChangedSince(sinceMs: number, limit = 1000): Promise<{ jobs: JobRecord[]; latest: number | null }> {
    return this.op(() => selectJobsChangedSince(this.pool, sinceMs, limit));
  }

  async requestCancel(id: string): Promise<{ job: JobRecord; ownerGone: boolean }> {
    const now = this.clock();
    const gone = await this.op(() => markCancel(this.pool, id, now, this.owner));
    // A job whose process stopped renewing its lease would wait for a cancel nobody reads: end it now.
    if (gone) await this.sweepNow();
    return { job: (await this.getJob(id))!, ownerGone: gone };
  }

  cancelRequested(ids: readonly string[]): Promise<string[]> {
    return ids.length ? this.op(() => selectCancelRequested(this.pool, ids)) : Promise.resolve([]);
  }

  async reserve(req: ReserveRequest): Promise<Reservation> {
    assertMicros(req.micros, 'micros');
    const now = () => this.timers.Date.now();
    const started = now();
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      try {
        return await this.op(() => this.tryReserve(req));
      } catch (err) {
        if (!(err instanceof SlotsFull)) throw err;
      }
      // Every slot of this machine is taken by calls in flight: wait for one to end.
      req.signal?.throwIfAborted();
      const waited = now() - started;
      if (waited >= (this.opts.inFlightWaitMs ?? 10 * 60_000)) {
        throw new InFlightLimitError(
          `${this.opts.maxInFlight} paid calls are in flight on ${this.identity.machine} (MAX_OPENAI_CONCURRENCY); waited ${Math.round(waited / 1000)} s for one to end`,
        );
      }
      await sleep(this.timers, delay);
    }
  }

  private async tryReserve(req: ReserveRequest): Promise<Reservation> {
    const reservation: Reservation = {
      id: this.newId(),
      jobId: req.jobId,
      model: req.model,
      micros: req.micros,
      createdAt: this.clock(),
      pid: this.pid,
    };
    const { member, machine } = this.identity;
    const keys: ScopeKey[] = scopesOf(
      { jobId: req.jobId, member, now: reservation.createdAt },
      this.current,
      null,
      null,
    ).map((s) => s.key);
    if (this.opts.maxInFlight != null) keys.push(slotKey(machine));
    await this.ensure(keys);
    return admitPg(this.pool, {
      reservation,
      identity: this.identity,
      owner: this.owner,
      ttlMs: this.ttlMs,
      localCaps: this.current,
      policy: this.policy,
      maxInFlight: this.opts.maxInFlight ?? null,
    });
  }

  async settle(reservationId: string, input: SettleInput): Promise<void> {
    assertSettleInput(input);
    const nowMs = this.clock();
    return this.op(async () => {
      const r = await readReservation(this.pool, reservationId);
      const ended = r && (await endReservation(this.pool, r, input, { nowMs, sweep: false, ensure: this.ensure }));
      if (!ended) {
        if (await isSettled(this.pool, reservationId)) return;
        throw unknownReservationError(reservationId);
      }
      await refreshAfterSpend(this.pool, {
        localCaps: this.current,
        policy: this.policy,
        nowMs,
        member: this.identity.member,
      });
    });
  }

  release(reservationId: string): Promise<void> {
    return this.op(async () => {
      const r = await readReservation(this.pool, reservationId);
      if (r) await endReservation(this.pool, r, null, { nowMs: this.clock(), sweep: false, ensure: this.ensure });
    });
  }

  /** Creates the scope rows of `keys` this process has not seen yet, each in its own statement (no lock held across an admission). */
  private readonly ensure = async (keys: ScopeKey[]): Promise<void> => {
    const missing = keys.filter((k) => !this.ensured.has(k));
    if (!missing.length) return;
    await ensureScopes(this.pool, missing);
    for (const k of missing) this.ensured.add(k);
  };

  spendStats(now?: Date): Promise<SpendStats> {
    const nowMs = now?.getTime() ?? this.clock();
    return this.op(async () => {
      const caps = await this.caps_();
      const memberCap = await this.memberCap();
      const breaker = (await effectiveBreaker(this.pool, caps, this.policy, nowMs)).current;
      return pgSpendStats(this.pool, {
        caps,
        nowMs,
        member: this.identity.member,
        memberCap,
        thresholds: this.opts.warnThresholds,
        breaker,
      });
    });
  }

  private async memberCap(): Promise<number | null> {
    const q = 'SELECT monthly_cap_micros AS cap FROM members WHERE member = $1';
    const { rows } = await this.pool.query<{ cap: number | null }>(q, [this.identity.member]);
    return rows[0]?.cap ?? null;
  }

  budgetLeft(now?: Date): Promise<BudgetLeft> {
    const nowMs = now?.getTime() ?? this.clock();
    return this.op(async () => {
      const o = {
        caps: await this.caps_(),
        member: this.identity.member,
        memberCapMicros: await this.memberCap(),
        nowMs,
      };
      return pgBudgetLeft(this.pool, o);
    });
  }

  adoptWaiting(_isAlive: unknown, clockNow: number): Promise<string[]> {
    const o = { owner: this.owner, pid: this.pid, ttlMs: this.ttlMs, nowMs: this.clock(), clockNow };
    return this.op(() => adoptWaitingPg(this.pool, o));
  }

  dailySpend(now?: Date): Promise<Array<{ day: string; cost_usd: number }>> {
    return this.op(() => pgDailySpend(this.pool, now?.getTime() ?? this.clock()));
  }

  listMembers(now?: Date): Promise<MemberRecord[]> {
    return this.op(() => pgListMembers(this.pool, now?.getTime() ?? this.clock()));
  }

  async setMemberCap(member: string, monthlyMicros: number | null): Promise<void> {
    if (monthlyMicros !== null) assertMicros(monthlyMicros, 'monthlyMicros');
    const w = { member, monthlyMicros };
    return this.op(() => writeCaps(this.pool, w, this.opts.adminKey, this.clock()));
  }

  breakerStatus(now?: Date): Promise<BreakerRecord> {
    const nowMs = now?.getTime() ?? this.clock();
    return this.op(async () => (await effectiveBreaker(this.pool, await this.caps_(), this.policy, nowMs)).current);
  }

  tripBreaker(trip: BreakerTrip): Promise<BreakerRecord> {
    const now = this.clock();
    return this.op(async () => tripIn(this.pool, trip, await this.breakerCtx(now)));
  }

  resetBreaker(onlyReason?: TripReason): Promise<BreakerRecord> {
    const now = this.clock();
    return this.op(async () => resetIn(this.pool, onlyReason, await this.breakerCtx(now)));
  }

  private async breakerCtx(nowMs: number): Promise<BreakerContext> {
    return { caps: await this.caps_(), policy: this.policy, nowMs, member: this.identity.member };
  }

  settledBetween(startMs: number, endMs: number): Promise<number> {
    return this.op(() => settledIn(this.pool, startMs, endMs));
  }

  listReservations(): Promise<Reservation[]> {
    return this.op(() => selectReservations(this.pool));
  }

  /** On a team ledger a pid means nothing across machines: this runs the lease sweep now (sweeper.ts). */
  reclaimOrphans(): Promise<number> {
    return this.sweepNow();
  }

  private sweepNow(): Promise<number> {
    this.sweeping ??= this.op(() =>
      sweep(this.pool, {
        owner: this.owner,
        member: this.identity.member,
        now: this.clock,
        localCaps: () => this.current,
        policy: this.policy,
        ensure: this.ensure,
      }),
    ).finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.intervals) clearInterval(t);
    await Promise.allSettled([...this.pending]);
    await this.side.close();
    await this.pool.end();
  }
}

/**
 * Opens the team ledger at `url` (postgres://… or postgresql://…; a unix socket folder as host),
 * migrating its schema first, and starts this process's lease heartbeat, sweeper and breaker
 * listener (close() stops them). Throws Error for a URL of another kind or a database it cannot
 * reach (the driver's error), TeamSchemaVersionError when the database is newer than this Offload,
 * RangeError for caps that are not integer µUSD ≥ 0.
 */
export async function openPostgresLedger(url: string, opts: PostgresLedgerOptions): Promise<TeamLedger> {
  assertCaps(opts.caps);
  const conn = { url, password: opts.password, max: opts.poolSize };
  const pool = openPool(conn);
  let ledger: PgLedger | null = null;
  const heard = () => void ledger?.breakerChanged();
  const side = new SideConnection(clientConfig(conn), pool, heard);
  try {
    await migrate(pool, opts.log ?? ((line) => process.stderr.write(`${line}\n`)));
    await side.open();
  } catch (err) {
    await side.close();
    await pool.end();
    throw err;
  }
  ledger = new PgLedger(pool, side, opts);
  return ledger;
}
