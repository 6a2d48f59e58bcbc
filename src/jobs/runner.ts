import type { JobKind, JobRecord } from '../core/jobs';

/** What a runner gets for one job run. */
export interface RunContext {
  job: JobRecord;
  /** Aborted by `cancel`; runners stop their work (and kill their processes) when it fires. */
  signal: AbortSignal;
  /** One line of human-readable progress for `tail` (already redacted by the engine). */
  log: (line: string) => void;
}

/** How a run ended; `result` is merged into the compact result (changed_files, checks, diff, output…). */
export interface RunOutcome {
  status: 'completed' | 'failed' | 'budget_exceeded' | 'cancelled';
  result?: Record<string, unknown>;
  error?: string;
  /** Bytes of the job's whole transcript, for the savings receipt (src/core/savings.ts says what counts). */
  transcriptBytes?: number;
}

/** A kind of job. Runners throw only for unexpected faults; the engine turns those into `failed`. */
export interface Runner<Req = unknown> {
  readonly kind: JobKind;
  run(ctx: RunContext, request: Req): Promise<RunOutcome>;
}
