import { randomUUID } from 'node:crypto';
import {
  closedAt,
  DEFAULT_BREAKER_POLICY,
  opened,
  type BreakerPolicy,
  type BreakerRecord,
  type TripReason,
} from '../core/breaker';
import { assertTransition, TERMINAL_STATUSES, type JobRecord } from '../core/jobs';
import { assertMicros } from '../core/money';
import { sleep, type Timers } from '../core/timers';
import { effectiveBreaker, readBreaker, refreshBreaker, tripReplaces, writeBreaker } from './breaker-store';
import { memoryDbStore, type DbStore } from './db-store';
import type { JournaledStoreOptions } from './journaled-store';
import { fileDbStore } from './journaled-store';
import { identityOf } from './identity';
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
} from './ledger';
import {
  addSpend,
  isSettled,
  selectJob,
  selectJobs,
  selectJobsChangedSince,
  selectReservation,
  settledIn,
} from './queries';
import { admitIn } from './admission';
import type { HostLedger } from './host-ledger';
import type { LedgerOptions } from './ledger-options';
import { assertCaps, assertSettleInput, InFlightLimitError, unknownReservationError } from './ledger-checks';
import { adoptWaitingIn, reclaimIn, waitingOrphansIn } from './orphans';
import { processAlive } from './process-alive';
import { all, one, run } from './rows';
import { listMembersIn, MEMBER_CAPS_NEED_TEAM_LEDGER, memberStats } from './members';
import { computeBudgetLeft, computeDailySpend, computeSpendStats } from './spend-stats';

export type { LedgerOptions } from './ledger-options';
export type { HostLedger } from './host-ledger';
export { InFlightLimitError } from './ledger-checks';
export { processAlive } from './process-alive';

/** Options of a file ledger: the ledger's, plus the file lock's tuning. */
export type FileLedgerOptions = LedgerOptions & JournaledStoreOptions;

class SqlLedger implements HostLedger {
  private current: LedgerCaps;
  private readonly clock: () => number;
  private readonly pid: number;
  private readonly newId: () => string;
  private readonly policy: BreakerPolicy;
  private readonly thresholds: number[] | undefined;
  private readonly maxInFlight: number | null;
  private readonly inFlightWaitMs: number;
  private readonly isAlive: (pid: number) => boolean;
  private readonly timers: Timers;
  readonly identity: Identity;

  constructor(
    private readonly store: DbStore,
    opts: LedgerOptions,
  ) {
    this.current = assertCaps(opts.caps);
    this.clock = opts.clock ?? Date.now;
    this.pid = opts.pid ?? process.pid;
    this.newId = opts.newId ?? randomUUID;
    this.policy = opts.breaker ?? DEFAULT_BREAKER_POLICY;
    this.thresholds = opts.warnThresholds;
    this.maxInFlight = opts.maxInFlight ?? null;
    this.inFlightWaitMs = opts.inFlightWaitMs ?? 10 * 60_000;
    this.isAlive = opts.isAlive ?? processAlive;
    this.timers = opts.timers ?? globalThis;
    this.identity = { ...(opts.identity ?? identityOf()) };
  }

  get caps(): LedgerCaps {
    return { ...this.current };
  }

  setCaps(caps: LedgerCaps): void {
    this.current = assertCaps(caps);
  }

  async createJob(job: NewJob): Promise<JobRecord> {
    const maxCost = job.maxCostMicros ?? null;
    if (maxCost !== null) assertMicros(maxCost, 'maxCostMicros');
    const now = this.clock();
    return this.store.write((db) => {
      if (one(db, 'SELECT 1 AS x FROM jobs WHERE id = ?', [job.id])) throw new Error(`job ${job.id} already exists`);
      run(
        db,
        `INSERT INTO jobs (id, kind, status, agent, model, request_json, result_json, error, created_at, updated_at, max_cost_micros, pid,
        member, machine) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
        [
          job.id,
          job.kind,
          job.status ?? 'queued',
          job.agent ?? null,
          job.model,
          JSON.stringify(job.request ?? null),
          job.result == null ? null : JSON.stringify(job.result),
          now,
          now,
          maxCost,
          this.pid,
          this.identity.member,
          this.identity.machine,
        ],
      );
      return selectJob(db, job.id) as JobRecord;
    });
  }

  async updateJob(id: string, patch: JobPatch): Promise<JobRecord> {
    const now = this.clock();
    return this.store.write((db) => {
      const job = selectJob(db, id);
      if (!job) throw new Error(`unknown job ${id}`);
      if (patch.status !== undefined && patch.status !== job.status) assertTransition(job.status, patch.status);
      const result = 'result' in patch ? (patch.result === undefined ? null : JSON.stringify(patch.result)) : undefined;
      run(
        db,
        `UPDATE jobs SET status = ?, model = ?, error = ?, result_json = CASE WHEN ? THEN ? ELSE result_json END, updated_at = ?
        WHERE id = ?`,
        [
          patch.status ?? job.status,
          patch.model ?? job.model,
          patch.error !== undefined ? patch.error : job.error,
          result !== undefined ? 1 : 0,
          result ?? null,
          now,
          id,
        ],
      );
      return selectJob(db, id) as JobRecord;
    });
  }

  getJob(id: string): Promise<JobRecord | undefined> {
    return this.store.read((db) => selectJob(db, id));
  }

  listJobs(limit = 50): Promise<JobRecord[]> {
    return this.store.read((db) => selectJobs(db, limit));
  }

  jobsChangedSince(sinceMs: number, limit = 1000): Promise<{ jobs: JobRecord[]; latest: number | null }> {
    return this.store.read((db) => selectJobsChangedSince(db, sinceMs, limit));
  }

  async requestCancel(id: string): Promise<{ job: JobRecord; ownerGone: boolean }> {
    const now = this.clock();
    const marked = await this.store.write((db) => {
      const row = one(db, 'SELECT status, pid FROM jobs WHERE id = ?', [id]);
      if (!row) throw new Error(`unknown job ${id}: use a job_id returned by start or run_job`);
      if (!TERMINAL_STATUSES.has(row.status as never)) {
        run(db, 'UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, ?) WHERE id = ?', [now, id]);
      }
      return { pid: row.pid === null ? null : Number(row.pid), job: selectJob(db, id) as JobRecord };
    });
    // A job whose process is gone would wait for a cancel nobody reads: end it now, as reclaim does.
    const { pid, job } = marked;
    if (pid === null || pid === this.pid || TERMINAL_STATUSES.has(job.status) || this.isAlive(pid))
      return { job, ownerGone: false };
    await this.reclaimOrphans(this.isAlive);
    return { job: (await this.getJob(id)) as JobRecord, ownerGone: true };
  }

  cancelRequested(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.store.read((db) =>
      all(
        db,
        `SELECT id FROM jobs WHERE cancel_requested_at IS NOT NULL AND status IN ('queued', 'running')
        AND id IN (SELECT value FROM json_each(?))`,
        [JSON.stringify(ids)],
      ).map((r) => String(r.id)),
    );
  }

  async reserve(req: ReserveRequest): Promise<Reservation> {
    assertMicros(req.micros, 'micros');
    const now = () => this.timers.Date.now();
    const started = now();
    let lastReclaim = started;
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      const reservation = await this.tryReserve(req);
      if (reservation) return reservation;
      // Every slot is taken by calls in flight, in this process or another: wait for one to end.
      req.signal?.throwIfAborted();
      const waited = now() - started;
      if (waited >= this.inFlightWaitMs) {
        throw new InFlightLimitError(
          `${this.maxInFlight} paid calls are in flight across every Offload process (MAX_OPENAI_CONCURRENCY); waited ${Math.round(waited / 1000)} s for one to end`,
        );
      }
      if (now() - lastReclaim >= 2_000) {
        lastReclaim = now();
        await this.reclaimOrphans(processAlive); // a slot held by a process that died would never free itself
      }
      await sleep(this.timers, delay);
    }
  }

  /** One admission attempt: the reservation, or null when MAX_OPENAI_CONCURRENCY calls are already in flight. */
  private async tryReserve(req: ReserveRequest): Promise<Reservation | null> {
    const now = this.clock();
    const caps = this.current;
    const reservation: Reservation = {
      id: this.newId(),
      jobId: req.jobId,
      model: req.model,
      micros: req.micros,
      createdAt: now,
      pid: this.pid,
    };
    return this.store.write((db) =>
      admitIn(db, {
        reservation,
        identity: this.identity,
        caps,
        policy: this.policy,
        maxInFlight: this.maxInFlight,
        now,
      }),
    );
  }

  async settle(reservationId: string, input: SettleInput): Promise<void> {
    assertSettleInput(input);
    const now = this.clock();
    return this.store.write((db) => {
      // A live reservation has no spend row (settle and reclaimOrphans replace one by the other), so
      // the settled check is needed only when the reservation is gone.
      const r = selectReservation(db, reservationId);
      if (!r) {
        if (isSettled(db, reservationId)) return;
        throw unknownReservationError(reservationId);
      }
      // attributed to who reserved it (a provider batch item may be settled by another member's process)
      run(
        db,
        `INSERT INTO model_calls (job_id, reservation_id, model, input_tokens, output_tokens, cache_read_tokens, cost_micros,
        status, route, latency_ms, created_at, member, machine)
        SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, member, machine FROM reservations WHERE id = ?`,
        [
          r.jobId,
          reservationId,
          input.model,
          input.usage.input_tokens,
          input.usage.output_tokens,
          input.usage.cache_read_tokens,
          input.costMicros,
          input.status,
          input.route ?? null,
          input.latencyMs ?? null,
          now,
          reservationId,
        ],
      );
      addSpend(db, now, input.costMicros);
      run(db, 'DELETE FROM reservations WHERE id = ?', [reservationId]);
      refreshBreaker(db, this.current, this.policy, now);
    });
  }

  async release(reservationId: string): Promise<void> {
    await this.store.write((db) => run(db, 'DELETE FROM reservations WHERE id = ?', [reservationId]));
  }

  spendStats(now?: Date): Promise<SpendStats> {
    const at = now?.getTime() ?? this.clock();
    return this.store.read((db) => ({
      ...computeSpendStats(db, this.current, at, {
        thresholds: this.thresholds,
        breaker: effectiveBreaker(db, this.current, this.policy, at).current,
      }),
      ...memberStats(db, this.identity, at),
    }));
  }

  listMembers(now?: Date): Promise<MemberRecord[]> {
    const at = now?.getTime() ?? this.clock();
    return this.store.read((db) => listMembersIn(db, at));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the contract is async (a team ledger writes); this one only refuses
  async setMemberCap(member: string, monthlyMicros: number | null): Promise<void> {
    if (monthlyMicros !== null) assertMicros(monthlyMicros, 'monthlyMicros');
    throw new Error(`cannot set a cap for ${member}: ${MEMBER_CAPS_NEED_TEAM_LEDGER}`);
  }

  budgetLeft(now?: Date): Promise<BudgetLeft> {
    const at = now?.getTime() ?? this.clock();
    return this.store.read((db) => computeBudgetLeft(db, this.current, at));
  }

  dailySpend(now?: Date): Promise<Array<{ day: string; cost_usd: number }>> {
    const at = now?.getTime() ?? this.clock();
    return this.store.read((db) => computeDailySpend(db, at));
  }

  breakerStatus(now?: Date): Promise<BreakerRecord> {
    const at = now?.getTime() ?? this.clock();
    return this.store.read((db) => effectiveBreaker(db, this.current, this.policy, at).current);
  }

  async tripBreaker(trip: BreakerTrip): Promise<BreakerRecord> {
    const now = this.clock();
    return this.store.write((db) => {
      const current = refreshBreaker(db, this.current, this.policy, now); // now also what is stored
      if (!tripReplaces(current, trip.reason)) return current;
      const next = opened({ reason: trip.reason, detail: trip.detail, until: trip.until ?? null }, now);
      writeBreaker(db, current, next, now);
      return next;
    });
  }

  async resetBreaker(onlyReason?: TripReason): Promise<BreakerRecord> {
    const now = this.clock();
    return this.store.write((db) => {
      const stored = readBreaker(db);
      if (stored.state === 'closed' || (onlyReason !== undefined && stored.reason !== onlyReason))
        return refreshBreaker(db, this.current, this.policy, now);
      writeBreaker(db, stored, closedAt(now), now);
      return refreshBreaker(db, this.current, this.policy, now);
    });
  }

  settledBetween(startMs: number, endMs: number): Promise<number> {
    return this.store.read((db) => settledIn(db, { startMs, endMs }));
  }

  listReservations(): Promise<Reservation[]> {
    return this.store.read((db) =>
      all(db, 'SELECT id FROM reservations ORDER BY created_at, rowid').map(
        (r) => selectReservation(db, String(r.id)) as Reservation,
      ),
    );
  }

  reclaimOrphans(isAlive: (pid: number) => boolean): Promise<number> {
    const now = this.clock();
    return this.store.write((db) =>
      reclaimIn(db, { pid: this.pid, now, isAlive, caps: this.current, policy: this.policy }),
    );
  }

  async adoptWaiting(isAlive: (pid: number) => boolean, clockNow: number): Promise<string[]> {
    if (!(await this.store.read((db) => waitingOrphansIn(db, { pid: this.pid, isAlive }).length))) return [];
    const ctx = { pid: this.pid, now: this.clock(), clockNow, isAlive };
    return (await this.store.write((db) => adoptWaitingIn(db, ctx))).adopted;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * Opens (creating when missing) the ledger file at `path`, shared by every process that opens it.
 * Loads sql.js on first use. Throws LedgerFileError (cannot lock/read/write the file, or it is not
 * a database: it is then left untouched), LedgerVersionError (written by a newer or a pre-release Offload; it names the fix),
 * RangeError for caps that are not integer µUSD ≥ 0.
 */
export async function openLedger(path: string, opts: FileLedgerOptions): Promise<HostLedger> {
  assertCaps(opts.caps);
  return new SqlLedger(await fileDbStore(path, opts), opts);
}

/** A ledger over a given store (tests that need to see the store's database); same rules as openLedger. */
export function ledgerOnStore(store: DbStore, opts: LedgerOptions): HostLedger {
  assertCaps(opts.caps);
  return new SqlLedger(store, opts);
}

/** An in-memory ledger (no file, no lock) for unit tests; same rules as openLedger. */
export async function openMemoryLedger(opts: LedgerOptions): Promise<HostLedger> {
  assertCaps(opts.caps);
  return new SqlLedger(await memoryDbStore(), opts);
}
