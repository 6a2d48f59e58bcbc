import type { z } from 'zod';
import { AGENTS, PERMISSION_MODES } from './config';
import {
  boolField,
  enumField,
  intField,
  isoInstantField,
  listField,
  nameField,
  pathField,
  strictObject,
  textField,
  usdField,
} from './input-fields';
import {
  BATCH_MAX_JOBS,
  CHECKS_MAX_ENTRIES,
  COMMAND_MAX_BYTES,
  MAX_DIFF_BYTES_LIMIT,
  MAX_TOKENS_LIMIT,
  PATHS_MAX_ENTRIES,
  TAIL_MAX_LINES,
  TEXT_MAX_BYTES,
  TIMEOUT_MAX_MS,
} from './input-limits';

/**
 * Input schemas of the MCP tools. They live in core because the CLI, the MCP tools and the VS
 * Code commands all validate the same requests. Every object is strict (an unknown field is
 * refused by name), and every message names the field and its limit or the fix (limits in
 * ./input-limits.ts). Whether a path exists and lies inside the sandbox is checked by JobService.
 */

const jobId = nameField('job_id', 'pass the job_id that start or run_job returned');
const agent = enumField('agent', AGENTS);
/** run_job's and queue_batch items' agent: a tier, or `auto` (core/routing.ts picks one by task class, forecast and budget). */
export const AUTO_AGENT = 'auto';
const runJobAgent = enumField('agent', [...AGENTS, AUTO_AGENT] as const).describe(
  'mini-worker, balanced-worker, premium-worker, or auto: the cheapest tier the task class allows within ROUTING_MAX_COST_USD and the budget left',
);
const maxTokens = intField('max_tokens', 1, MAX_TOKENS_LIMIT, 'tokens').describe(
  'Output token cap, clamped by PER_JOB_TOKEN_LIMIT',
);

/** A path relative to the job's folder (scoped_patch.paths): no leading `/`, no `..` segment. */
const relativePath = pathField('scoped_patch.paths[]')
  .refine(
    (p) => !/^([\\/]|[A-Za-z]:)/.test(p),
    'scoped_patch.paths[] must be relative to the job\'s folder (e.g. "src"), not absolute',
  )
  .refine(
    (p) => !p.split(/[\\/]/).includes('..'),
    'scoped_patch.paths[] must not leave the job\'s folder (no ".." segment)',
  );

export const CheckSchema = strictObject('checks[]', {
  name: nameField('checks[].name', 'a label for the check, e.g. "unit tests"'),
  command: textField(
    'checks[].command',
    COMMAND_MAX_BYTES,
    'COMMAND_MAX_BYTES',
    'the shell command to run, e.g. "npm test"',
  ),
  timeout_ms: intField('checks[].timeout_ms', 1, TIMEOUT_MAX_MS, 'ms').default(600_000),
});
export type Check = z.infer<typeof CheckSchema>;

/** Revise passes after failing checks (start, and run_job in edit mode): 0 to 3; the default when not given. */
const maxRevisions = intField('max_revisions', 0, 3);
export const DEFAULT_MAX_REVISIONS = 1;

/** run_job's `when`: start at once, or wait for the model's cheapest price window (core/off-peak.ts). */
const WHEN_VALUES = ['now', 'cheapest'] as const;
const QUEUE_BATCH_MODES = ['queue', 'batch'] as const;

/** `run_job`: one chat call by a tiered agent (or one chosen by routing, `auto`) on a task, with optional files as context. */
export const RunJobSchema = strictObject('run_job', {
  agent: runJobAgent,
  task: textField('task', TEXT_MAX_BYTES, 'TEXT_MAX_BYTES', 'say what the worker should do'),
  input_refs: listField('input_refs', pathField('input_refs[]'), 0, PATHS_MAX_ENTRIES)
    .optional()
    .describe('Files (inside the sandbox root) given to the model as context'),
  apply: boolField('apply')
    .optional()
    .describe(
      'Edit mode: the model returns edits to the input_refs files, which Offload checks and writes (with a pre-job snapshot: discard undoes them); the result has changed_files and diff',
    ),
  checks: listField('checks', CheckSchema, 0, CHECKS_MAX_ENTRIES)
    .optional()
    .describe(
      "Edit mode only (apply: true): shell commands run in the edited files' folder after the edits are written; a failing one sends the model its output for a revise pass",
    ),
  max_revisions: maxRevisions
    .optional()
    .describe('Edit mode only: when checks fail, ask the model this many more times with the failures (default 1)'),
  caps: strictObject('caps', {
    max_tokens: maxTokens.optional(),
    max_cost_usd: usdField('caps.max_cost_usd').optional(),
  }).optional(),
  not_after: isoInstantField('not_after')
    .optional()
    .describe(
      'Deadline (ISO 8601 UTC, within 7 days): the job waits, queued, for the cheapest price window of its model that starts by then (DeepSeek: off-peak 16:30-00:30 UTC)',
    ),
  when: enumField('when', WHEN_VALUES)
    .optional()
    .describe(
      '"cheapest": wait for the cheapest price window starting by not_after, else within 24 h; "now" (default)',
    ),
});
export type RunJobRequest = z.infer<typeof RunJobSchema>;

/** `queue_batch`: many run_job tasks queued at once; each becomes its own job. */
export const QueueBatchSchema = strictObject('queue_batch', {
  jobs: listField(
    'jobs',
    RunJobSchema,
    1,
    BATCH_MAX_JOBS,
    'a list of run_job requests ({agent (a tier or auto), task, input_refs?, caps?, not_after?, when?})',
  ),
  mode: enumField('mode', QUEUE_BATCH_MODES)
    .optional()
    .describe(
      '"queue" (default): the jobs run under the concurrency limit; "batch": one provider Batch API batch (OpenAI: half price, results within 24 h)',
    ),
  queue_fallback: boolField('queue_fallback')
    .optional()
    .describe('mode "batch" on a gateway without a Batch API: true (default) runs the jobs as "queue", false refuses'),
});
export type QueueBatchRequest = z.infer<typeof QueueBatchSchema>;

/** `analyze`: a read-only question about files or folders, answered in one call (no agent loop, no edits). */
export const AnalyzeSchema = strictObject('analyze', {
  question: textField('question', TEXT_MAX_BYTES, 'TEXT_MAX_BYTES', 'what to find out about the files'),
  paths: listField(
    'paths',
    pathField('paths[]'),
    1,
    PATHS_MAX_ENTRIES,
    'files or folders (inside the sandbox) to read',
  ),
  agent: agent.default('mini-worker'),
  max_tokens: maxTokens.optional().describe('Answer token cap, clamped by PER_JOB_TOKEN_LIMIT'),
});
export type AnalyzeRequest = z.infer<typeof AnalyzeSchema>;

/** `start`: a Claude Code agent job in the background (see DESIGN.md for a typical request). */
export const StartSchema = strictObject('start', {
  prompt: textField('prompt', TEXT_MAX_BYTES, 'TEXT_MAX_BYTES', 'the task for Claude Code'),
  allowed_dirs: listField(
    'allowed_dirs',
    pathField('allowed_dirs[]'),
    1,
    PATHS_MAX_ENTRIES,
    'the folders the job may touch (inside SANDBOX_ROOT)',
  ),
  cwd: pathField('cwd').optional().describe('Working folder; defaults to allowed_dirs[0]'),
  model: nameField('model').optional().describe('Gateway model, e.g. deepseek-chat; defaults to CLAUDE_MODEL'),
  permission_mode: enumField('permission_mode', PERMISSION_MODES).optional(),
  include_diff: boolField('include_diff').default(true),
  scoped_patch: strictObject('scoped_patch', {
    paths: listField('scoped_patch.paths', relativePath, 1, PATHS_MAX_ENTRIES),
    max_diff_bytes: intField('scoped_patch.max_diff_bytes', 1, MAX_DIFF_BYTES_LIMIT, 'bytes').optional(),
  }).optional(),
  checks: listField('checks', CheckSchema, 0, CHECKS_MAX_ENTRIES).default([]),
  max_cost_usd: usdField('max_cost_usd').optional(),
  max_revisions: maxRevisions
    .default(DEFAULT_MAX_REVISIONS)
    .describe('When checks fail, resume the agent this many times with the failures (on WORKER_ESCALATE_MODEL if set)'),
});
export type StartRequest = z.infer<typeof StartSchema>;

/** `get_job_status`/`get`, `cancel`: one job by id; `tool` names the tool in messages. */
export function jobRefSchema(tool: string) {
  return strictObject(tool, { job_id: jobId });
}

/** `discard`: a job id, and whether to discard files changed after the job ended too. */
export const DiscardSchema = strictObject('discard', {
  job_id: jobId,
  force: boolField('force')
    .default(false)
    .describe('Discard even files changed after the job ended (those changes are lost)'),
});

/** `wait`: a job id and how long to wait. */
export const WaitSchema = strictObject('wait', {
  job_id: jobId,
  timeout_ms: intField('timeout_ms', 0, TIMEOUT_MAX_MS, 'ms')
    .default(30_000)
    .describe('How long to wait; the job keeps running after a timeout'),
});

/** `tail`: a job id and how many lines. */
export const TailSchema = strictObject('tail', {
  job_id: jobId,
  lines: intField('lines', 1, TAIL_MAX_LINES).default(50),
});

/** Tools without arguments (`get_spend_stats`, `breaker_status`): any field is unknown. */
export function noArgsSchema(tool: string) {
  return strictObject(tool, {});
}
