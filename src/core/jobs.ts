import type { Micros } from './money';
import type { Usage } from './usage';

/** What runs a job: a single chat call, a Claude Code agent loop, and (later) batch and analyze. */
export type JobKind = 'llm' | 'claude-code' | 'batch' | 'analyze';

/**
 * Job lifecycle. queued → running → one of the terminal states. `budget_exceeded` means the job
 * was stopped (or refused) because a cap would have been passed; `rejected` means it never ran.
 */
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'budget_exceeded' | 'rejected';

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
  'budget_exceeded',
  'rejected',
]);

/** Legal transitions of the job state machine. */
const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'cancelled', 'rejected', 'budget_exceeded', 'failed'],
  running: ['completed', 'failed', 'cancelled', 'budget_exceeded'],
  completed: [],
  failed: [],
  cancelled: [],
  budget_exceeded: [],
  rejected: [],
};

/** Throws Error when `from → to` is not a legal job transition. */
export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!TRANSITIONS[from].includes(to)) throw new Error(`illegal job transition ${from} → ${to}`);
}

/** One job as stored in the ledger. Times are epoch ms; money in µUSD. */
export interface JobRecord {
  id: string;
  kind: JobKind;
  status: JobStatus;
  /** Agent tier (llm jobs) or null. */
  agent: string | null;
  /** Gateway model the job's calls go to. */
  model: string;
  /** The validated request, as JSON. Never holds secrets. */
  request: unknown;
  /** The compact result once terminal (see ToolResult shapes in src/mcp), else null. */
  result: unknown;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  /** Per-job cap in µUSD, or null for none. */
  maxCostMicros: number | null;
  /** Settled spend of this job so far (sum of its model calls), µUSD. */
  costMicros: Micros;
  usage: Usage;
  /** Who created the job (the ledger's identity: OFFLOAD_MEMBER), null on rows written before attribution. */
  member: string | null;
  /** The machine it was created on (OFFLOAD_MACHINE), null on rows written before attribution. */
  machine: string | null;
}
