import type { Config } from '../core/config';
import { approvalQuestion, approvalReason, APPROVAL_HINT, type Approver } from '../core/approval';
import { InputError } from '../core/errors';
import type { JobRecord } from '../core/jobs';
import { usdToMicros } from '../core/money';
import type { PriceBook } from '../core/pricing';
import type { AnalyzeRequest, QueueBatchRequest, RunJobRequest, StartRequest } from '../core/requests';
import type { JobEngine } from './engine';
import { forecastRunJob } from './forecast';

/**
 * The entry point for job-creating requests from any surface (MCP tools, CLI, VS Code commands):
 * checks what can be checked before a job exists (agent and model known and priced, folders
 * inside the sandbox, permission mode allowed) so bad input creates no job and no spend row,
 * then hands the job to the engine. Throws InputError naming the field.
 */
export class JobService {
  constructor(
    readonly engine: JobEngine,
    private readonly config: Config,
    private readonly prices: PriceBook,
    private readonly resolvePath: (path: string, field: string) => Promise<string>,
  ) {}

  /**
   * run_job: resolves the agent's model, checks input_refs, asks `approve` when the job needs
   * approval (premium-worker, or a forecast over APPROVAL_THRESHOLD_USD; see core/approval.ts),
   * runs to the end. Without an approver, or on a "no", the job is stored and returned
   * `rejected` with the forecast and how to approve; nothing is reserved.
   */
  async runJob(request: RunJobRequest, approve?: Approver): Promise<JobRecord> {
    const model = this.config.agents[request.agent];
    if (!model) throw new InputError('agent', `no model is configured for ${request.agent}`);
    this.requirePrice(model, 'agent');
    const paths: string[] = [];
    for (const [i, ref] of (request.input_refs ?? []).entries()) paths.push(await this.resolvePath(ref, `input_refs[${i}]`));
    const meta = {
      agent: request.agent,
      model,
      maxCostMicros: request.caps?.max_cost_usd !== undefined ? usdToMicros(request.caps.max_cost_usd) : null,
    };
    const forecast = await forecastRunJob(this.prices, model, request, paths, this.config.perJobTokenLimit);
    const reason = approvalReason(request.agent, forecast, { autoApprove: this.config.premiumAutoApprove, thresholdUsd: this.config.approvalThresholdUsd });
    if (reason) {
      const question = approvalQuestion(request.agent, model, request.task, forecast, reason);
      const yes = approve ? await approve(question).catch(() => false) : false;
      if (!yes) {
        const why = approve ? 'the user declined' : 'this client cannot ask for approval (no MCP elicitation)';
        return this.engine.reject('llm', request, meta, `not approved: ${question} — ${why}. ${APPROVAL_HINT}`);
      }
    }
    return this.engine.run('llm', request, meta);
  }

  /**
   * queue_batch: checks every job first (so a bad one queues none), then queues them all and
   * returns the queued records at once, in order.
   */
  async queueBatch(request: QueueBatchRequest): Promise<JobRecord[]> {
    const models: string[] = [];
    for (const [j, job] of request.jobs.entries()) {
      const model = this.config.agents[job.agent];
      if (!model) throw new InputError(`jobs[${j}].agent`, `no model is configured for ${job.agent}`);
      this.requirePrice(model, `jobs[${j}].agent`);
      for (const [i, ref] of (job.input_refs ?? []).entries()) await this.resolvePath(ref, `jobs[${j}].input_refs[${i}]`);
      models.push(model);
    }
    const queued: JobRecord[] = [];
    for (const [j, job] of request.jobs.entries()) {
      queued.push(await this.engine.submit('llm', job, {
        agent: job.agent,
        model: models[j]!,
        maxCostMicros: job.caps?.max_cost_usd !== undefined ? usdToMicros(job.caps.max_cost_usd) : null,
      }));
    }
    return queued;
  }

  /** analyze: resolves the paths inside the sandbox, then answers in one read-only call; waits for the result. */
  async analyze(request: AnalyzeRequest): Promise<JobRecord> {
    const model = this.config.agents[request.agent];
    if (!model) throw new InputError('agent', `no model is configured for ${request.agent}`);
    this.requirePrice(model, 'agent');
    const resolved: string[] = [];
    for (const [i, path] of request.paths.entries()) resolved.push(await this.resolvePath(path, `paths[${i}]`));
    return this.engine.run('analyze', { ...request, resolved }, { agent: request.agent, model });
  }

  /** start: checks folders and mode, then queues a Claude Code job and returns it at once. */
  async start(request: StartRequest): Promise<JobRecord> {
    for (const [i, dir] of request.allowed_dirs.entries()) await this.resolvePath(dir, `allowed_dirs[${i}]`);
    if (request.cwd) await this.resolvePath(request.cwd, 'cwd');
    const mode = request.permission_mode ?? this.config.claudePermissionMode;
    if (mode === 'bypassPermissions' && !this.config.allowBypassPermissions) {
      throw new InputError('permission_mode', 'bypassPermissions is blocked; set ALLOW_BYPASS_PERMISSIONS=1 to allow it');
    }
    const model = request.model ?? this.config.claudeModel;
    this.requirePrice(model, 'model');
    return this.engine.submit('claude-code', request, {
      model,
      maxCostMicros: request.max_cost_usd !== undefined ? usdToMicros(request.max_cost_usd) : null,
    });
  }

  private requirePrice(model: string, field: string): void {
    if (!this.prices.has(model)) {
      throw new InputError(field, `no price is known for model "${model}"; add one with OFFLOAD_PRICES='{"${model}":{"input_mtok":0.1,"output_mtok":0.4}}'`);
    }
  }
}
