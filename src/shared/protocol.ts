import { z } from 'zod';

/**
 * The jobs panel's messages, extension host ⇄ webview (issue 13): one zod discriminated union
 * each way, parsed on both sides. A message that does not parse is logged and dropped, never
 * thrown (parseToWebview / parseFromWebview). The host owns the state: the webview sends `ready`,
 * gets a `snapshot`, then incremental `jobs`, `detail`, `log`, `spend` and `approvals` messages.
 * Money is USD (numbers, as get_spend_stats gives them); times are epoch ms.
 */

/** Where the panel is: the queue (optionally with one job open), Spend, or Spend's breaker section. */
export const ViewSchema = z.enum(['queue', 'spend', 'breaker']);
export type View = z.infer<typeof ViewSchema>;

const JobStatusSchema = z.enum([
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
  'budget_exceeded',
  'rejected',
]);
const JobKindSchema = z.enum(['llm', 'claude-code', 'batch', 'analyze']);
const usd = z.number().finite();
const ms = z.number().int().nonnegative();
const jobId = z.string().min(1).max(200);

/** One row of the queue: what the table and the sidebar show of a job. */
export const JobRowSchema = z.object({
  id: jobId,
  kind: JobKindSchema,
  status: JobStatusSchema,
  agent: z.string().nullable(),
  model: z.string(),
  /** Settled spend, USD. */
  cost_usd: usd,
  created_at: ms,
  updated_at: ms,
  /** Run time, ms: created → ended, or → now for a live job. */
  duration_ms: ms,
  /** The prompt or task, first 200 characters (the queue searches it). */
  title: z.string(),
  /** Set once the job was applied or discarded. */
  undo: z.enum(['applied', 'discarded']).nullable(),
});
export type JobRow = z.infer<typeof JobRowSchema>;

/** One check of a job: its result line (`unit tests: failed (exit 1)`) and its output tail. */
export const CheckSchema = z.object({
  line: z.string(),
  passed: z.boolean(),
  output_tail: z.string(),
});

/** What the job detail shows; the action flags say which buttons are live. */
export const JobDetailSchema = z.object({
  row: JobRowSchema,
  /** The whole prompt or task. */
  prompt: z.string(),
  /** The compact result an agent got (JSON), or null while the job runs. */
  result: z.unknown(),
  changed_files: z.array(z.string()),
  checks: z.array(CheckSchema),
  /** The forecast range given at start, USD, or null when the job had none. */
  forecast: z.object({ low_usd: usd, high_usd: usd }).nullable(),
  /** The unified diff (possibly truncated at DIFF_MAX_BYTES), '' when none. */
  diff: z.string(),
  error: z.string().nullable(),
  /** The savings receipt (core/savings.ts SavingsReceipt), or null. */
  receipt: z.record(z.string(), z.unknown()).nullable(),
  /** The last lines of the job's log. */
  log: z.array(z.string()),
  can: z.object({ cancel: z.boolean(), apply: z.boolean(), discard: z.boolean(), retry: z.boolean() }),
});
export type JobDetail = z.infer<typeof JobDetailSchema>;

/** Spend as Spend shows it: get_spend_stats plus spend per UTC day of the month. */
export const SpendSchema = z.object({
  month: z.string(),
  current_month: usd,
  total_budget: usd,
  remaining: usd,
  percentage_used: usd,
  today: usd,
  daily_budget: usd.nullable(),
  reserved: usd,
  reservations_in_flight: z.number().int().nonnegative(),
  /** Warning thresholds, percent of the monthly cap. */
  thresholds: z.array(z.number()),
  by_model: z.record(z.string(), z.object({ cost_usd: usd, calls: z.number() })),
  by_kind: z.record(z.string(), z.object({ cost_usd: usd, jobs: z.number() })),
  /** Spend per UTC day of the month, oldest first, `day` as YYYY-MM-DD. */
  by_day: z.array(z.object({ day: z.string(), cost_usd: usd })),
  savings: z.object({ jobs: z.number(), saved_usd: usd, caller_tokens_avoided: z.number() }),
  breaker: z.object({
    state: z.enum(['closed', 'open', 'half-open']),
    reason: z.string().nullable(),
    detail: z.string().nullable(),
    /** When it tripped, ISO time, or null. */
    since: z.string().nullable(),
  }),
});
export type Spend = z.infer<typeof SpendSchema>;

/** A job waiting for a human yes (premium-worker, or over the approval threshold). */
export const ApprovalSchema = z.object({ id: z.string().min(1).max(200), question: z.string() });
export type Approval = z.infer<typeof ApprovalSchema>;

/** Host → webview. */
export const ToWebviewSchema = z.discriminatedUnion('type', [
  /** Everything at once: the answer to `ready`. `jobs` newest first. */
  z.object({
    type: z.literal('snapshot'),
    jobs: z.array(JobRowSchema),
    spend: SpendSchema.nullable(),
    approvals: z.array(ApprovalSchema),
  }),
  /** Rows that were added or changed (by id). */
  z.object({ type: z.literal('jobs'), upsert: z.array(JobRowSchema) }),
  /** One job's detail (after `openJob`, and again when it changes while open). */
  z.object({ type: z.literal('detail'), job: JobDetailSchema }),
  /** New log lines of the open job. */
  z.object({ type: z.literal('log'), job_id: jobId, lines: z.array(z.string()) }),
  z.object({ type: z.literal('spend'), spend: SpendSchema }),
  z.object({ type: z.literal('approvals'), approvals: z.array(ApprovalSchema) }),
  /** Go to a view (the status-bar items, the sidebar and chat links send it), optionally opening a job. */
  z.object({ type: z.literal('show'), view: ViewSchema, job_id: jobId.optional() }),
  /** How an action ended; a refused apply/discard names the conflicting files. */
  z.object({
    type: z.literal('actionResult'),
    action: z.enum(['cancel', 'apply', 'discard', 'retry', 'approve', 'resetBreaker']),
    job_id: z.string().optional(),
    ok: z.boolean(),
    message: z.string(),
    conflicting_files: z.array(z.string()).optional(),
  }),
]);
export type ToWebview = z.infer<typeof ToWebviewSchema>;

/** Webview → host. */
export const FromWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('openJob'), job_id: jobId }),
  z.object({ type: z.literal('cancel'), job_id: jobId }),
  z.object({ type: z.literal('apply'), job_id: jobId }),
  z.object({ type: z.literal('discard'), job_id: jobId, force: z.boolean().optional() }),
  z.object({ type: z.literal('retry'), job_id: jobId }),
  z.object({ type: z.literal('approve'), approval_id: z.string().min(1).max(200), approved: z.boolean() }),
  /** Open one changed file of a job in VS Code's diff editor (pre-job ↔ post-job). */
  z.object({ type: z.literal('openDiff'), job_id: jobId, file: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('resetBreaker') }),
]);
export type FromWebview = z.infer<typeof FromWebviewSchema>;

/** The message, or undefined after calling `drop` with why (a malformed message is dropped, never thrown). */
function parseWith<T>(schema: z.ZodType<T>, data: unknown, drop: (why: string) => void): T | undefined {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  drop(`dropped a malformed message: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  return undefined;
}

/** Parses a host → webview message (the webview's side). */
export function parseToWebview(data: unknown, drop: (why: string) => void): ToWebview | undefined {
  return parseWith(ToWebviewSchema, data, drop);
}

/** Parses a webview → host message (the host's side). */
export function parseFromWebview(data: unknown, drop: (why: string) => void): FromWebview | undefined {
  return parseWith(FromWebviewSchema, data, drop);
}
