import type { ZodType } from 'zod';
import type { Config } from '../core/config';
import { approvalQuestion, approvalReason, APPROVAL_HINT, type Approver, type Forecast } from '../core/approval';
import { checkAllowRules, permissionModeOf } from '../core/claude-permissions';
import { forecastRefusal, forecastStart } from '../core/forecast';
import { scheduleDeadline } from '../core/off-peak';
import type { routingJson } from '../core/routing';
import { InputError } from '../core/errors';
import { TERMINAL_STATUSES, type JobRecord } from '../core/jobs';
import { usdToMicros } from '../core/money';
import type { PriceBook } from '../core/pricing';
import {
  AnalyzeSchema,
  AUTO_AGENT,
  RunJobSchema,
  StartSchema,
  type AnalyzeRequest,
  type QueueBatchRequest,
  type RunJobRequest,
  type StartRequest,
} from '../core/requests';
import { isInside } from '../core/sandbox';
import type { JobEngine } from './engine';
import type { ProviderBatches } from './provider-batch';
import { forecastRunJob, scheduleRunJob } from './forecast';
import { resolveExisting, type ResolvePath } from './input-paths';
import { routeRunJob } from './run-job-routing';
import { applyJob, discardJob, type UndoOutcome } from './undo';

/**
 * A run_job request that passed the checks: its engine metadata (with the routing decision of an
 * `auto` job), the approval question if it needs one, and why routing refused it, if it did.
 */
/** What queue_batch queued: the jobs in request order, how they run, and why not as asked (a fallback to "queue"). */
export interface QueuedBatch {
  jobs: JobRecord[];
  mode: 'queue' | 'batch';
  notice?: string;
}

interface Checked {
  meta: {
    agent: string;
    model: string;
    maxCostMicros: number | null;
    forecast: Forecast;
    routing?: ReturnType<typeof routingJson>;
    startAtMs?: number;
    schedule?: object;
  };
  question?: string;
  refused?: string;
}

function notApproved(question: string, approve: Approver | undefined): string {
  const why = approve ? 'the user declined' : 'this client cannot ask for approval (no MCP elicitation)';
  return `not approved: ${question} — ${why}. ${APPROVAL_HINT}`;
}

/**
 * The entry point for job-creating requests from any surface (MCP tools, CLI, VS Code commands):
 * checks what can be checked before a job exists (agent and model known and priced, every path
 * inside the sandbox and existing as the right kind, cwd inside allowed_dirs, permission mode
 * allowed) so bad input creates no job, no reservation and no spend row, then hands the job to
 * the engine. Throws InputError naming the field (schemas in core/requests.ts check the rest).
 */
export class JobService {
  constructor(
    readonly engine: JobEngine,
    private readonly config: Config,
    private readonly prices: PriceBook,
    private readonly resolvePath: ResolvePath,
    /** queue_batch mode "batch" (provider-batch.ts); without it such a batch is refused. */
    private readonly batches?: ProviderBatches,
  ) {}

  /**
   * run_job: resolves the agent's model, checks input_refs, asks `approve` when the job needs
   * approval (premium-worker, or a forecast over APPROVAL_THRESHOLD_USD; see core/approval.ts),
   * runs to the end. Without an approver, or on a "no", the job is stored and returned
   * `rejected` with the forecast and how to approve; nothing is reserved.
   */
  async runJob(request: RunJobRequest, approve?: Approver): Promise<JobRecord> {
    const checked = await this.checkRunJob(request, '');
    const refused = checked.refused ?? (await this.refusal(checked.meta));
    if (refused) return this.engine.reject('llm', request, checked.meta, refused, 'budget_exceeded');
    if (checked.question) {
      const yes = approve ? await approve(checked.question).catch(() => false) : false;
      if (!yes) return this.engine.reject('llm', request, checked.meta, notApproved(checked.question, approve));
    }
    // A job waiting for a cheaper window returns at once (queued, with scheduled_for); wait or get its job_id.
    if (checked.meta.startAtMs !== undefined && checked.meta.startAtMs > this.engine.clockNow())
      return this.engine.submit('llm', request, checked.meta);
    return this.engine.run('llm', request, checked.meta);
  }

  /**
   * queue_batch: checks every job first (so a bad one queues none), asks once for all the jobs
   * that need approval (premium-worker or over the threshold), then queues them and returns the
   * records at once, in order; jobs not approved are stored `rejected`. Mode "batch" sends the
   * accepted jobs as one provider batch (provider-batch.ts; its errors are thrown as they are).
   */
  async queueBatch(request: QueueBatchRequest, approve?: Approver): Promise<QueuedBatch> {
    if (request.mode === 'batch') {
      if (!this.batches) throw new InputError('mode', 'mode "batch" is not available in this worker; use mode "queue"');
      if (!(await this.batches.supported())) {
        const notice =
          'the gateway has no Batch API (GET /batches answered 404: DeepSeek, OneAPI and New API have none)';
        if (request.queue_fallback === false)
          throw new InputError('mode', `${notice}; use mode "queue", or allow queue_fallback`);
        const queued = await this.queueBatch({ ...request, mode: 'queue' }, approve);
        return { ...queued, notice: `${notice}: the jobs run as mode "queue", at the list price` };
      }
      for (const [j, job] of request.jobs.entries())
        if (job.apply || job.not_after !== undefined || job.when === 'cheapest')
          throw new InputError(
            `jobs[${j}]`,
            'mode "batch" sends plain tasks only: drop apply, not_after and when, or use mode "queue"',
          );
    }
    const checked: Checked[] = [];
    for (const [j, job] of request.jobs.entries()) checked.push(await this.checkRunJob(job, `jobs[${j}].`));
    const asking = checked.filter((c) => c.question);
    let question = '';
    let yes = true;
    if (asking.length) {
      question =
        asking.length === 1
          ? asking[0]!.question!
          : `${asking.length} jobs of this batch need approval:\n${asking.map((c) => `- ${c.question}`).join('\n')}`;
      yes = approve ? await approve(question).catch(() => false) : false;
    }
    const out: (JobRecord | null)[] = [];
    const toBatch: { at: number; request: RunJobRequest; meta: Checked['meta'] }[] = [];
    for (const [j, job] of request.jobs.entries()) {
      const c = checked[j]!;
      const refused = c.refused ?? (await this.refusal(c.meta));
      if (refused) {
        out.push(await this.engine.reject('llm', job, c.meta, refused, 'budget_exceeded'));
        continue;
      }
      if (c.question && !yes) out.push(await this.engine.reject('llm', job, c.meta, notApproved(c.question, approve)));
      else if (request.mode === 'batch') {
        toBatch.push({ at: out.length, request: job, meta: c.meta });
        out.push(null);
      } else out.push(await this.engine.submit('llm', job, c.meta));
    }
    if (toBatch.length) {
      const sent = await this.batches!.submit(toBatch);
      for (const [i, b] of toBatch.entries()) out[b.at] = sent[i]!;
    }
    return { jobs: out as JobRecord[], mode: request.mode ?? 'queue' };
  }

  /** The item jobs of provider batch `batchId` (get_job_status on a batch id); empty when there is none. */
  batchItems(batchId: string): Promise<JobRecord[]> {
    return this.batches ? this.batches.itemsOf(batchId) : Promise.resolve([]);
  }

  /**
   * Validates one run_job request (fields prefixed with `prefix`), routes an `auto` one
   * (routeRunJob), and says whether it needs approval (asked for the routed tier like a named one).
   */
  private async checkRunJob(request: RunJobRequest, prefix: string): Promise<Checked> {
    if (request.apply && !request.input_refs?.length)
      throw new InputError(`${prefix}apply`, 'apply: true edits the input_refs files; name at least one in input_refs');
    for (const field of ['checks', 'max_revisions'] as const)
      if (!request.apply && request[field] !== undefined)
        throw new InputError(
          `${prefix}${field}`,
          `${field} belongs to edit mode: add apply: true (with the files in input_refs), or drop ${field}`,
        );
    const deadline = scheduleDeadline(request, this.engine.clockNow(), prefix);
    const paths: string[] = [];
    for (const [i, ref] of (request.input_refs ?? []).entries())
      paths.push(await resolveExisting(this.resolvePath, ref, `${prefix}input_refs[${i}]`, 'file'));
    const checked = await this.checkRunJobTier(request, paths, prefix);
    if (deadline === null || checked.refused) return checked;
    return {
      ...checked,
      meta: {
        ...checked.meta,
        ...(await scheduleRunJob(this.prices, this.config.perJobTokenLimit, request, checked.meta.model, paths, {
          now: this.engine.clockNow(),
          deadline,
        })),
      },
    };
  }

  /** The tier checks of checkRunJob: a named tier's model and forecast, or routeRunJob for `auto`. */
  private async checkRunJobTier(request: RunJobRequest, paths: string[], prefix: string): Promise<Checked> {
    const userCap = request.caps?.max_cost_usd !== undefined ? usdToMicros(request.caps.max_cost_usd) : null;
    if (request.agent === AUTO_AGENT) {
      const routed = await routeRunJob(
        { config: this.config, prices: this.prices, budget: await this.budgetLeft() },
        request,
        paths,
        userCap,
        prefix,
      );
      return routed.refused !== undefined ? routed : this.withQuestion(request, routed.meta);
    }
    const model = this.config.agents[request.agent];
    if (!model) throw new InputError(`${prefix}agent`, `no model is configured for ${request.agent}`);
    this.requirePrice(model, `${prefix}agent`);
    const forecast = await forecastRunJob(this.prices, model, request, paths, this.config.perJobTokenLimit);
    return this.withQuestion(request, { agent: request.agent, model, maxCostMicros: userCap, forecast });
  }

  /** Adds the approval question when the job's tier or forecast needs one (core/approval.ts). */
  private withQuestion(request: RunJobRequest, meta: Checked['meta']): Checked {
    const reason = approvalReason(meta.agent, meta.forecast, {
      autoApprove: this.config.premiumAutoApprove,
      thresholdUsd: this.config.approvalThresholdUsd,
    });
    return {
      meta,
      question: reason ? approvalQuestion(meta.agent, meta.model, request.task, meta.forecast, reason) : undefined,
    };
  }

  /** analyze: resolves the paths inside the sandbox, then answers in one read-only call; waits for the result. */
  async analyze(request: AnalyzeRequest): Promise<JobRecord> {
    const checked = await this.checkAnalyze(request);
    return this.engine.run('analyze', checked.request, checked.meta);
  }

  /** Validates an analyze request: the agent's model is priced, every path exists inside the sandbox. */
  private async checkAnalyze(
    request: AnalyzeRequest,
  ): Promise<{ request: AnalyzeRequest & { resolved: string[] }; meta: { agent: string; model: string } }> {
    const model = this.config.agents[request.agent];
    if (!model) throw new InputError('agent', `no model is configured for ${request.agent}`);
    this.requirePrice(model, 'agent');
    const resolved: string[] = [];
    for (const [i, path] of request.paths.entries())
      resolved.push(await resolveExisting(this.resolvePath, path, `paths[${i}]`, 'file or folder'));
    return { request: { ...request, resolved }, meta: { agent: request.agent, model } };
  }

  /**
   * Retry (the jobs panel): submits a new job with an ended job's stored request, through every
   * rule of a fresh submission (the request schema and its input limits, sandbox and path checks,
   * forecast refusal against the budget left, premium approval through `approve`). Returns the
   * new job at once, queued (or stored `rejected` / `budget_exceeded` like a fresh one would be):
   * - `claude-code` (start): exactly as `start`;
   * - `llm` (run_job, and each job of a queue_batch, which is stored as its own llm job with its
   *   own request): as a one-job queue_batch, so the caller is not held until it ends; without
   *   its `not_after`/`when` (a retry starts at once);
   * - `analyze`: checked as `analyze`, then queued without waiting.
   * The stored request is the redacted one (secrets in it were masked before it was stored).
   * Throws InputError on `job_id` for an unknown job, one not yet terminal (queued or running:
   * cancel it or wait), or one whose stored request cannot be submitted again (an adapter session).
   */
  async retry(jobId: string, approve?: Approver): Promise<JobRecord> {
    const job = await this.engine.ledger.getJob(jobId);
    if (!job) throw new InputError('job_id', `no job ${jobId}; use a job_id the panel or a tool listed`);
    if (!TERMINAL_STATUSES.has(job.status)) {
      throw new InputError(
        'job_id',
        `job ${jobId} is ${job.status}; only an ended job can be retried: wait for it, or cancel it first`,
      );
    }
    const stored = <T>(schema: ZodType<T>, value: unknown): T => {
      const parsed = schema.safeParse(value);
      if (!parsed.success)
        throw new InputError(
          'job_id',
          `job ${jobId}'s stored request cannot be submitted again (${parsed.error.issues[0]?.message ?? 'invalid'}); start a new job instead`,
        );
      return parsed.data;
    };
    switch (job.kind) {
      case 'claude-code':
        return this.start(stored(StartSchema, job.request));
      case 'llm': {
        // A retry runs at once: the stored not_after has usually passed, and the user asked for it now.
        const { not_after: _notAfter, when: _when, ...again } = stored(RunJobSchema, job.request);
        return (await this.queueBatch({ jobs: [again] }, approve)).jobs[0]!;
      }
      case 'analyze': {
        const { resolved: _resolved, ...request } = (
          job.request && typeof job.request === 'object' ? job.request : {}
        ) as Record<string, unknown>;
        const checked = await this.checkAnalyze(stored(AnalyzeSchema, request));
        return this.engine.submit('analyze', checked.request, checked.meta);
      }
      default:
        throw new InputError(
          'job_id',
          `job ${jobId} is a ${job.kind} job, which cannot be retried; start a new job instead`,
        );
    }
  }

  /**
   * start: checks folders and mode, then queues a Claude Code job and returns it at once with its
   * forecast (core/forecast.ts). Without max_cost_usd the job is capped at AGENT_JOB_MAX_COST_USD;
   * the adapter enforces the cap per upstream request. A job whose forecast's low end exceeds its
   * cap or the budget left is stored `budget_exceeded` and never runs.
   */
  async start(request: StartRequest): Promise<JobRecord> {
    const dirs: string[] = [];
    for (const [i, dir] of request.allowed_dirs.entries())
      dirs.push(await resolveExisting(this.resolvePath, dir, `allowed_dirs[${i}]`, 'folder'));
    if (request.cwd) {
      const cwd = await resolveExisting(this.resolvePath, request.cwd, 'cwd', 'folder');
      if (!dirs.some((d) => isInside(cwd, d)))
        throw new InputError(
          'cwd',
          `${request.cwd} is not inside allowed_dirs (${request.allowed_dirs.join(', ')}); pick a folder inside one of them, or add it`,
        );
    }
    checkAllowRules(request.checks); // a check command that cannot be a permission rule safely is refused here, before any spend
    permissionModeOf(request.permission_mode, this.config); // bypassPermissions is refused here, before any spend
    const model = request.model ?? this.config.claudeModel;
    this.requirePrice(model, 'model');
    const maxCostMicros = usdToMicros(request.max_cost_usd ?? this.config.agentJobMaxCostUsd);
    const meta = { model, maxCostMicros, forecast: forecastStart(this.prices, model, maxCostMicros) };
    const refused = await this.refusal(meta);
    if (refused) return this.engine.reject('claude-code', request, meta, refused, 'budget_exceeded');
    return this.engine.submit('claude-code', request, meta);
  }

  /** What is left of the budget, µUSD: the month (cap − settled − reserved), and the day (null without DAILY_BUDGET); Ledger.budgetLeft. */
  private async budgetLeft(): Promise<{
    remainingMicros: number;
    dailyRemainingMicros: number | null;
    memberCapped: string | null;
  }> {
    const left = await this.engine.ledger.budgetLeft();
    const memberCapped = left.memberCapped ?? null;
    return { remainingMicros: left.monthlyMicros, dailyRemainingMicros: left.dailyMicros, memberCapped };
  }

  /** Why a job with this forecast and cap may not start (core/forecast.ts), or null. */
  private async refusal(meta: { maxCostMicros: number | null; forecast: Forecast }): Promise<string | null> {
    const left = await this.budgetLeft();
    const { remainingMicros, dailyRemainingMicros, memberCapped } = left;
    return forecastRefusal(meta.forecast, meta.maxCostMicros, remainingMicros, dailyRemainingMicros, memberCapped);
  }

  /** apply: brings a job's change into the checkout (three-way), or refuses naming the conflicting files (src/jobs/undo.ts). */
  async apply(jobId: string): Promise<UndoOutcome> {
    const outcome = await applyJob(this.engine.ledger, jobId);
    await this.announce(jobId);
    return outcome;
  }

  /** discard: restores the pre-job state (in place) or removes the job's worktree and branch; refuses on later edits unless `force`. */
  async discard(jobId: string, force = false): Promise<UndoOutcome> {
    const outcome = await discardJob(this.engine.ledger, jobId, force);
    await this.announce(jobId);
    return outcome;
  }

  /** Emits the engine's 'job' event with the stamped record, so panels see applied/discarded at once. */
  private async announce(jobId: string): Promise<void> {
    const job = await this.engine.ledger.getJob(jobId);
    if (job) this.engine.emit('job', job);
  }

  private requirePrice(model: string, field: string): void {
    if (!this.prices.has(model)) {
      throw new InputError(
        field,
        `no price is known for model "${model}"; add one with OFFLOAD_PRICES='{"${model}":{"input_mtok":0.1,"output_mtok":0.4}}'`,
      );
    }
  }
}
