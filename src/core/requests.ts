import { z } from 'zod';
import { AGENTS, PERMISSION_MODES } from './config';

/**
 * Input schemas of the job-creating MCP tools. They live in core because the CLI, the MCP tools
 * and the VS Code commands all validate the same requests. Messages name the field and the fix.
 */

const jobId = z.string({ error: 'job_id is required: pass the job_id that start or run_job returned' }).min(1, 'job_id must not be empty');

export const CheckSchema = z.object({
  name: z.string().min(1, 'checks[].name must not be empty'),
  command: z.string().min(1, 'checks[].command must not be empty'),
  timeout_ms: z.number().int().positive().max(3_600_000).default(600_000),
});
export type Check = z.infer<typeof CheckSchema>;

/** `run_job`: one chat call by a tiered agent on a task, with optional files as context. */
export const RunJobShape = {
  agent: z.enum(AGENTS, { error: `agent must be one of ${AGENTS.join(', ')}` }),
  task: z.string({ error: 'task is required: say what the worker should do' }).min(1, 'task must not be empty'),
  input_refs: z.array(z.string().min(1)).max(50).optional().describe('Files (inside the sandbox root) given to the model as context'),
  caps: z.object({
    max_tokens: z.number().int().positive().optional().describe('Output token cap, clamped by PER_JOB_TOKEN_LIMIT'),
    max_cost_usd: z.number().positive().optional(),
  }).optional(),
};
export const RunJobSchema = z.object(RunJobShape);
export type RunJobRequest = z.infer<typeof RunJobSchema>;

/** `queue_batch`: many run_job tasks queued at once; each becomes its own job. */
export const QueueBatchShape = {
  jobs: z.array(RunJobSchema, { error: 'jobs is required: a list of run_job requests ({agent, task, input_refs?, caps?})' })
    .min(1, 'jobs needs at least one job').max(50, 'jobs takes at most 50 jobs per batch'),
};
export const QueueBatchSchema = z.object(QueueBatchShape);
export type QueueBatchRequest = z.infer<typeof QueueBatchSchema>;

/** `analyze`: a read-only question about files or folders, answered in one call (no agent loop, no edits). */
export const AnalyzeShape = {
  question: z.string({ error: 'question is required: what to find out about the files' }).min(1, 'question must not be empty'),
  paths: z.array(z.string().min(1), { error: 'paths is required: files or folders (inside the sandbox) to read' })
    .min(1, 'paths needs at least one file or folder').max(50),
  agent: z.enum(AGENTS, { error: `agent must be one of ${AGENTS.join(', ')}` }).default('mini-worker'),
  max_tokens: z.number().int().positive().optional().describe('Answer token cap, clamped by PER_JOB_TOKEN_LIMIT'),
};
export const AnalyzeSchema = z.object(AnalyzeShape);
export type AnalyzeRequest = z.infer<typeof AnalyzeSchema>;

/** `start`: a Claude Code agent job in the background (see DESIGN.md for a typical request). */
export const StartShape = {
  prompt: z.string({ error: 'prompt is required: the task for Claude Code' }).min(1, 'prompt must not be empty'),
  allowed_dirs: z.array(z.string().min(1), { error: 'allowed_dirs is required: the folders the job may touch (inside SANDBOX_ROOT)' })
    .min(1, 'allowed_dirs needs at least one folder'),
  cwd: z.string().min(1).optional().describe('Working folder; defaults to allowed_dirs[0]'),
  model: z.string().min(1).optional().describe('Gateway model, e.g. deepseek-chat; defaults to CLAUDE_MODEL'),
  permission_mode: z.enum(PERMISSION_MODES, { error: `permission_mode must be one of ${PERMISSION_MODES.join(', ')}` }).optional(),
  include_diff: z.boolean().default(true),
  scoped_patch: z.object({
    paths: z.array(z.string().min(1)).min(1, 'scoped_patch.paths needs at least one path'),
    max_diff_bytes: z.number().int().positive().optional(),
  }).optional(),
  checks: z.array(CheckSchema).max(20).default([]),
  max_cost_usd: z.number().positive().optional(),
  max_revisions: z.number().int().min(0).max(3).default(1)
    .describe('When checks fail, resume the agent this many times with the failures (on WORKER_ESCALATE_MODEL if set)'),
};
export const StartSchema = z.object(StartShape);
export type StartRequest = z.infer<typeof StartSchema>;

export const JobRefShape = { job_id: jobId };
export const DiscardShape = {
  job_id: jobId,
  force: z.boolean().default(false).describe('Discard even files changed after the job ended (those changes are lost)'),
};
export const WaitShape = {
  job_id: jobId,
  timeout_ms: z.number().int().nonnegative().max(3_600_000).default(30_000).describe('How long to wait; the job keeps running after a timeout'),
};
export const TailShape = { job_id: jobId, lines: z.number().int().positive().max(2000).default(50) };
