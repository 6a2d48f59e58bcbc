/**
 * Which jobs the panel must be sent on a poll of the shared ledger: those other processes (CLI
 * workers, other windows) changed since the last poll, minus the versions the panel already has.
 * Pure (no `vscode` import); the controller calls `poll` every 3 s while the panel is visible.
 */
import type { JobRecord } from '../../core/jobs';

/** Ledger.jobsChangedSince: jobs changed at or after `sinceMs` (epoch ms), oldest first, at most `limit`. */
export type ReadChanges = (sinceMs: number, limit: number) => Promise<{ jobs: JobRecord[]; latest: number | null }>;

/**
 * How far back each poll reads again, ms. A writer stamps its change before it takes the ledger
 * lock, so a change can land after a poll with a stamp before it; the lock is stale after 10 s.
 */
export const REREAD_MS = 10_000;
/** Jobs read per poll at most; a fuller burst is paged over the next polls from its newest change. */
export const POLL_LIMIT = 1_000;

const version = (j: JobRecord) => `${j.updatedAt}:${j.status}:${j.costMicros}`;

/** The poll's position and what the panel has (job id → the version sent). */
export class JobChangeFeed {
  private since: number;
  private paging: number | undefined;
  private readonly sent = new Map<string, string>();

  /** `now` is epoch ms (Date.now); the first poll reads from `now()` − REREAD_MS. */
  constructor(
    private readonly read: ReadChanges,
    private readonly now: () => number,
  ) {
    this.since = now();
  }

  /** Records the versions the panel was sent (the snapshot, each update), so a poll skips them. */
  sentJobs(jobs: readonly JobRecord[]): void {
    for (const j of jobs) this.sent.set(j.id, version(j));
  }

  /** Starts over from a snapshot read at `at` (epoch ms): forgets what was sent before it. */
  reset(jobs: readonly JobRecord[], at: number): void {
    this.sent.clear();
    this.paging = undefined;
    this.since = at;
    this.sentJobs(jobs);
  }

  /**
   * The jobs changed since the last poll whose version the panel does not have. Reads from the last
   * poll's time − REREAD_MS (or, inside a burst over POLL_LIMIT, from the burst's newest change read).
   * Throws what the ledger throws; the position is kept then, so the next poll reads the same span.
   */
  async poll(): Promise<JobRecord[]> {
    const at = this.now();
    const page = await this.read(this.paging ?? this.since - REREAD_MS, POLL_LIMIT);
    if (page.jobs.length >= POLL_LIMIT && page.latest !== null) this.paging = page.latest;
    else {
      this.paging = undefined;
      this.since = at;
    }
    return page.jobs.filter((j) => this.sent.get(j.id) !== version(j));
  }
}
