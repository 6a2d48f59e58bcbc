/**
 * The undo rules of agent jobs (`apply`, `discard`): what a job must have recorded to be undone,
 * and that a job is applied or discarded once. Pure; the git work is in src/jobs/undo.ts.
 */
import { InputError } from './errors';
import { TERMINAL_STATUSES, type JobRecord } from './jobs';

/** What a `start` job or a run_job edit job records in its result (`workspace`) so any process can apply or discard it later. */
export interface UndoRecord {
  /** The pre-job snapshot (src/jobs/workspace/git.ts Snapshot): the folder, its prefix, HEAD, tree id, shadow GIT_DIR. */
  snapshot: { dir: string; prefix: string; head: string | null; tree: string; shadowGitDir?: string };
  /** Tree id of the work tree when the job ended. */
  after_tree: string;
  /** WORKER_ISOLATION=worktree: the job's worktree, its branch and the user's checkout (repo top). */
  worktree?: { path: string; branch: string; checkout: string };
}

/** How a job was undone (stored in its result as `undo`); `expired`: cleaned up by the retention sweep. */
export interface UndoMark {
  state: 'applied' | 'discarded' | 'expired';
  /** ISO 8601 time, UTC. */
  at: string;
}

/** `apply`/`discard` refused because files conflict; `files` are relative to the repository's top. */
export class UndoRefusedError extends Error {
  override name = 'UndoRefusedError';
  constructor(
    readonly op: 'apply' | 'discard',
    readonly files: string[],
    why: string,
  ) {
    super(`${op} refused: ${why}: ${files.join(', ')}; nothing was changed`);
  }
}

const resultOf = (job: JobRecord) =>
  job.result && typeof job.result === 'object' ? (job.result as Record<string, unknown>) : {};

/** The job's undo mark, if it was applied, discarded or expired. */
export function undoMarkOf(job: JobRecord): UndoMark | undefined {
  return resultOf(job).undo as UndoMark | undefined;
}

/**
 * The record `op` works from. Throws InputError (field `job_id`) when the job is still queued or
 * running, was already applied/discarded/expired, or recorded no workspace (not a `start` job, or
 * one that ended before its snapshot).
 */
export function undoTarget(job: JobRecord, op: 'apply' | 'discard'): UndoRecord {
  if (!TERMINAL_STATUSES.has(job.status))
    throw new InputError('job_id', `job ${job.id} is ${job.status}; wait for it to end (or cancel it) before ${op}`);
  const mark = undoMarkOf(job);
  if (mark)
    throw new InputError(
      'job_id',
      `job ${job.id} was already ${mark.state} at ${mark.at}; a job is applied or discarded once`,
    );
  const record = resultOf(job).workspace as UndoRecord | undefined;
  if (!record?.snapshot?.tree || !record.after_tree) {
    throw new InputError(
      'job_id',
      `job ${job.id} (${job.kind}, ${job.status}) recorded no workspace snapshot; only start jobs that ran and run_job edit jobs (apply: true) that wrote can be applied or discarded`,
    );
  }
  return record;
}

/** The job's result with `mark` added (what the ledger stores after apply/discard). */
export function markedResult(job: JobRecord, mark: UndoMark): Record<string, unknown> {
  return { ...resultOf(job), undo: mark };
}
