import type { BreakerRecord, TripReason } from '../core/breaker';
import type { Caps } from '../core/budget';
import type { JobKind, JobRecord, JobStatus } from '../core/jobs';
import type { Micros } from '../core/money';
import type { Usage } from '../core/usage';

/** Input to create a job row. */
export interface NewJob {
  id: string;
  kind: JobKind;
  agent?: string | null;
  model: string;
  request: unknown;
  maxCostMicros?: number | null;
  status?: JobStatus;
  /** The job's first result (e.g. its forecast), stored as JSON; default none (null). */
  result?: unknown;
}

/** Fields a job update may change. */
export interface JobPatch {
  status?: JobStatus;
  result?: unknown;
  error?: string | null;
  model?: string;
}

/** A live reservation: budget held for one paid call until it is settled or released. */
export interface Reservation {
  id: string;
  jobId: string;
  model: string;
  /** Worst-case cost held, µUSD. */
  micros: Micros;
  createdAt: number;
  pid: number;
}

/** Input to reserve: the worst case of one call, already priced. */
export interface ReserveRequest {
  jobId: string;
  model: string;
  micros: Micros;
  /**
   * Stops waiting for a free in-flight slot (MAX_OPENAI_CONCURRENCY across every process): the
   * job was cancelled. reserve then throws the signal's reason and holds nothing.
   */
  signal?: AbortSignal;
}

/** The real outcome of one call, written as a model_calls (spend) row. */
export interface SettleInput {
  model: string;
  usage: Usage;
  /** Real cost at the price table, µUSD. */
  costMicros: Micros;
  /** 'ok', or an error label such as 'http_429', 'aborted'. Partial output of an aborted call is still billed. */
  status: string;
  latencyMs?: number;
  route?: 'primary' | 'fallback';
}

/**
 * What the monthly and daily caps still admit, µUSD: cap − settled in the UTC month (day) −
 * everything reserved in flight, never below 0 (core/budget.ts remainingMicros). `dailyMicros` is
 * null without a daily cap. `monthlyMicros` is what spendStats reports as `remaining`.
 */
export interface BudgetLeft {
  monthlyMicros: Micros;
  dailyMicros: Micros | null;
  /** The member whose own monthly cap (team ledger) is what limits `monthlyMicros`; absent when the team's cap does. */
  memberCapped?: string;
}

/** Spend summary for get_spend_stats. USD fields are floats for display; computed from µUSD. */
export interface SpendStats {
  month: string;
  current_month: number;
  total_budget: number;
  remaining: number;
  percentage_used: number;
  today: number;
  daily_budget: number | null;
  reserved: number;
  reservations_in_flight: number;
  by_model: Record<
    string,
    { cost_usd: number; calls: number; input_tokens: number; output_tokens: number; cache_read_tokens: number }
  >;
  by_kind: Record<string, { cost_usd: number; jobs: number }>;
  jobs: { total: number; running: number };
  /**
   * The savings receipts (src/core/savings.ts) of jobs created this month, summed: how many jobs
   * carry one, saved_usd (USD, 6 decimals), caller_tokens_avoided and transcript/returned bytes.
   */
  savings: {
    jobs: number;
    saved_usd: number;
    caller_tokens_avoided: number;
    transcript_bytes: number;
    returned_bytes: number;
  };
  /** Warning thresholds, percent of the monthly cap (BUDGET_WARN_PCT; default 80, 95). */
  thresholds: number[];
  /** The thresholds `percentage_used` has reached this month. */
  thresholds_crossed: number[];
  /** The circuit breaker as every process sees it: state, reason, since (ISO time or null). */
  breaker: { state: string; reason: string | null; detail: string | null; since: string | null };
  /** This process's member: their own figures inside the team's (the fields above are the team's). */
  member: {
    name: string;
    current_month: number;
    today: number;
    reserved: number;
    /** USD, or null when the member has no cap of their own. */
    monthly_cap: number | null;
    /** USD left under the member's cap (or the team's when tighter); null when uncapped. */
    remaining: number | null;
  };
  /** Settled spend this month per member, USD. */
  by_member: Record<string, { cost_usd: number; calls: number }>;
}

/** A trip of the breaker: why, the numbers behind it, and (for cooldowns) until when, epoch ms. */
export interface BreakerTrip {
  reason: TripReason;
  detail: string;
  until?: number | null;
}

/** Caps the ledger enforces at reservation time, µUSD (built from config by capsOf, src/core/budget.ts). */
export type LedgerCaps = Caps;

/**
 * Who is spending, recorded on every job, model call and reservation: `member` is OFFLOAD_MEMBER
 * (default `<OS user>@<host>`), `machine` is OFFLOAD_MACHINE (default the host name).
 */
export interface Identity {
  member: string;
  machine: string;
}

/** One member of a team ledger as `team members` lists it. USD fields are floats for display. */
export interface MemberRecord {
  member: string;
  /** The member's monthly cap, USD, or null for none (the team caps still hold). */
  monthly_cap: number | null;
  /** Settled spend this UTC month, USD. */
  current_month: number;
  /** Held in reservations now, USD. */
  reserved: number;
  jobs: number;
  /** Last job or call of the member, ISO time, or null. */
  last_seen: string | null;
  machines: string[];
}

/**
 * The one ledger every host shares (DESIGN.md, money rules). Every method is atomic across
 * processes: it takes the file lock, reloads the file if another process changed it, applies the
 * change in one transaction, writes the file atomically and releases the lock.
 */
export interface Ledger {
  /** Throws Error when the id exists already; RangeError when maxCostMicros is not an integer ≥ 0. */
  createJob(job: NewJob): Promise<JobRecord>;
  /**
   * Applies the patch and stamps updatedAt. Setting the current status again is allowed; any other
   * status change must be legal (assertTransition). Throws Error on an unknown id or an illegal
   * status transition.
   */
  updateJob(id: string, patch: JobPatch): Promise<JobRecord>;
  getJob(id: string): Promise<JobRecord | undefined>;
  /** The newest jobs first; `limit` defaults to 50. */
  listJobs(limit?: number): Promise<JobRecord[]>;
  /**
   * Jobs changed at or after `sinceMs` (epoch ms) by any process: a state or result write, or a
   * settled model call (their cost changed). Oldest change first, at most `limit` (default 1000);
   * `latest` is the newest change among them, epoch ms, null when none. The jobs panel polls it.
   */
  jobsChangedSince(sinceMs: number, limit?: number): Promise<{ jobs: JobRecord[]; latest: number | null }>;
  /**
   * Asks the process that runs a queued or running job to cancel it (it sees the mark through
   * cancelRequested and aborts the job, which kills its process tree and releases its
   * reservations). When that process is gone, its jobs are ended at once (reclaimOrphans' rule).
   * A terminal job is left as it is. Returns the job as stored afterwards, and whether its process
   * was found gone (the job then ended `failed`, saying so). Throws Error on an unknown id.
   */
  requestCancel(id: string): Promise<{ job: JobRecord; ownerGone: boolean }>;
  /** Of `ids`, those not yet terminal whose cancel was requested (requestCancel), in no set order. */
  cancelRequested(ids: readonly string[]): Promise<string[]>;
  /**
   * Admits one paid call: holds `micros` if settled + reserved + micros stays within the monthly
   * cap, the daily cap and the job's max cost, and the circuit breaker admits it (closed, or
   * half-open with no trial in flight: this call becomes the trial). Throws BreakerOpenError
   * (src/core/breaker.ts; a BudgetExceededError) while the breaker is open, or BudgetExceededError
   * (src/core/budget.ts) saying what remains and what was needed; nothing is written then. Also throws Error for an
   * unknown job or one already in a terminal status, RangeError for micros that are not an integer ≥ 0.
   */
  reserve(req: ReserveRequest): Promise<Reservation>;
  /**
   * Replaces the reservation by a spend row with the real cost (recorded as is, even above what was
   * reserved). Idempotent per reservation id: a second settle changes nothing. Throws Error for a
   * reservation that was released or never taken, RangeError for a cost or token count that is not
   * an integer ≥ 0.
   */
  settle(reservationId: string, input: SettleInput): Promise<void>;
  /** Drops a reservation without spend (the call never went out). Idempotent. */
  release(reservationId: string): Promise<void>;
  /** The summary at `now` (default: the ledger's clock); see computeSpendStats for each field. */
  spendStats(now?: Date): Promise<SpendStats>;
  /**
   * What the caps still admit at `now` (default: the ledger's clock), see BudgetLeft. Reads the
   * hourly spend sums and the reservations only, so a check before every job stays cheap however
   * many jobs the month holds (spendStats sums over them all).
   */
  budgetLeft(now?: Date): Promise<BudgetLeft>;
  /**
   * Spend per UTC day of the month containing `now` (default: the ledger's clock), oldest first:
   * every day from the 1st up to today, zeros included; `day` is YYYY-MM-DD, `cost_usd` USD. Only
   * settled calls count (the rows `current_month` sums, so the days sum to it); in-flight
   * reservations do not (they are `reserved`). See computeDailySpend.
   */
  dailySpend(now?: Date): Promise<Array<{ day: string; cost_usd: number }>>;
  /**
   * The circuit breaker at `now` (default: the ledger's clock) as every process sees it: the stored
   * record re-evaluated against the spend rules (caps reached, velocity). Writes nothing.
   */
  breakerStatus(now?: Date): Promise<BreakerRecord>;
  /**
   * Opens the breaker for every process. A trip does not replace an open record that is harder to
   * undo (manual and velocity outrank provider cost and caps, which outrank upstream failures).
   * Returns the stored record.
   */
  tripBreaker(trip: BreakerTrip): Promise<BreakerRecord>;
  /** Closes the breaker (manual reset), or only when it is open for `onlyReason`. Returns the stored record. */
  resetBreaker(onlyReason?: TripReason): Promise<BreakerRecord>;
  /** Waits for pending calls and frees the database; later calls reject. */
  close(): Promise<void>;
  /** This ledger's identity (who its reservations and rows are attributed to). */
  readonly identity: Identity;
  /** Every member with a job, a call or a cap, sorted by name. */
  listMembers(now?: Date): Promise<MemberRecord[]>;
  /**
   * Sets (µUSD) or clears (null) a member's monthly cap; the member then gets BudgetExceededError
   * (scope `member`) past it, other members do not. A sql.js ledger throws Error naming the fix:
   * member caps need a team ledger (OFFLOAD_LEDGER=postgres://…). Throws RangeError for a cap that
   * is not an integer ≥ 0.
   */
  setMemberCap(member: string, monthlyMicros: number | null): Promise<void>;
}
