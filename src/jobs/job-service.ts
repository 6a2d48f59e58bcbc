import type { Config } from '../core/config';
import { InputError } from '../core/errors';
import type { JobRecord } from '../core/jobs';
import { usdToMicros } from '../core/money';
import type { PriceBook } from '../core/pricing';
import type { RunJobRequest, StartRequest } from '../core/requests';
import type { JobEngine } from './engine';

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

  /** run_job: resolves the agent's model, checks input_refs, runs to the end. */
  async runJob(request: RunJobRequest): Promise<JobRecord> {
    const model = this.config.agents[request.agent];
    if (!model) throw new InputError('agent', `no model is configured for ${request.agent}`);
    this.requirePrice(model, 'agent');
    for (const [i, ref] of (request.input_refs ?? []).entries()) await this.resolvePath(ref, `input_refs[${i}]`);
    return this.engine.run('llm', request, {
      agent: request.agent,
      model,
      maxCostMicros: request.caps?.max_cost_usd !== undefined ? usdToMicros(request.caps.max_cost_usd) : null,
    });
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
