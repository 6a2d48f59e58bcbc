import type { Config } from '../../core/config';
import type { Check, StartRequest } from '../../core/requests';
import { checkScope } from '../../core/scope';
import type { MeteredJob } from '../../adapter/meter';
import { execa } from 'execa';
import type { Runner } from '../runner';
import { claudeArgs, claudeEnv } from './claude-invocation';
import { readStreamLine, type ClaudeResultEvent } from './claude-stream';

/** The adapter as the runner sees it: started on first use; one key per job. */
export interface AdapterPort {
  /** Base URL of the running adapter (starts it on first call). */
  url(): Promise<string>;
  /** Registers the job for metering and returns its own adapter key. `onBudgetExceeded` fires when a call is refused. */
  register(job: MeteredJob, onBudgetExceeded: (message: string) => void): string;
  unregister(key: string): void;
}

/** What the runner needs from the workspace layer (git snapshot/diff, checks). */
export interface WorkspacePort {
  snapshot(dir: string): Promise<unknown>;
  changedFiles(dir: string, before: unknown): Promise<string[]>;
  diff(dir: string, before: unknown, maxBytes: number): Promise<{ text: string; bytes: number }>;
  runCheck(check: Check, cwd: string, signal: AbortSignal): Promise<{ passed: boolean; line: string }>;
  createWorktree(dir: string, jobId: string): Promise<{ path: string; cwd: string }>;
}

export interface ClaudeCodeRunnerDeps {
  config: Config;
  adapter: AdapterPort;
  workspace: WorkspacePort;
  /** Absolute path of the `claude` executable. */
  claudePath: string;
  resolvePath: (path: string, field: string) => Promise<string>;
  /** Environment the CLI child starts from (secrets are filtered out by claudeEnv). */
  baseEnv: Record<string, string | undefined>;
}

/**
 * The `start` runner (the async Claude Code worker): runs the real Claude Code CLI in the job's
 * folder with its Anthropic traffic sent through Offload's adapter under the job's own key (so
 * every upstream call is reserved and settled against this job), then collects the changed files
 * with git, checks scoped_patch, runs the checks with their timeouts, and returns the compact
 * result. Cancel kills the CLI's whole process group.
 */
export function createClaudeCodeRunner(deps: ClaudeCodeRunnerDeps): Runner<StartRequest> {
  return {
    kind: 'claude-code',
    async run(ctx, request) {
      const dirs: string[] = [];
      for (const [i, dir] of request.allowed_dirs.entries()) dirs.push(await deps.resolvePath(dir, `allowed_dirs[${i}]`));
      let cwd = request.cwd ? await deps.resolvePath(request.cwd, 'cwd') : dirs[0]!;
      let worktree: string | undefined;
      if (deps.config.isolation === 'worktree') {
        const wt = await deps.workspace.createWorktree(cwd, ctx.job.id);
        ({ path: worktree, cwd } = wt);
        ctx.log(`isolation: the job runs in a detached worktree at ${worktree}; your checkout is not touched`);
      }
      const before = await deps.workspace.snapshot(cwd);
      let budgetMessage: string | undefined;
      const key = deps.adapter.register(
        { jobId: ctx.job.id, model: ctx.job.model, escalateModel: deps.config.escalateModel, signal: ctx.signal },
        (message) => { budgetMessage = message; },
      );
      let final: ClaudeResultEvent | undefined;
      let exitCode: number | undefined;
      try {
        const url = await deps.adapter.url();
        ctx.log(`claude: starting in ${cwd} (gateway model ${ctx.job.model}) via adapter ${url}`);
        const child = execa(deps.claudePath, claudeArgs(request, deps.config, dirs.filter((d) => d !== cwd)), {
          cwd,
          env: claudeEnv(deps.baseEnv, url, key),
          extendEnv: false,
          stdin: 'ignore',
          detached: true,
          reject: false,
          buffer: { stdout: false, stderr: true },
          maxBuffer: { stderr: 64 * 1024 },
        });
        const killTree = () => { if (child.pid) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } };
        ctx.signal.addEventListener('abort', killTree, { once: true });
        let pending = '';
        child.stdout?.setEncoding('utf8');
        child.stdout?.on('data', (chunk: string) => {
          pending += chunk;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const read = readStreamLine(pending.slice(0, nl));
            pending = pending.slice(nl + 1);
            for (const line of read.logs) ctx.log(line);
            if (read.result) final = read.result;
          }
        });
        const done = await child;
        ctx.signal.removeEventListener('abort', killTree);
        if (pending) { const read = readStreamLine(pending); if (read.result) final = read.result; }
        exitCode = done.exitCode;
        if (done.exitCode !== 0 && typeof done.stderr === 'string' && done.stderr.trim()) ctx.log(`claude stderr: ${done.stderr.trim().slice(-500)}`);
      } finally {
        deps.adapter.unregister(key);
      }
      if (ctx.signal.aborted) return { status: 'cancelled', error: 'cancelled: the Claude Code process tree was killed' };

      const changed = await deps.workspace.changedFiles(cwd, before);
      const maxDiff = request.scoped_patch?.max_diff_bytes ?? deps.config.diffMaxBytes;
      const diff = await deps.workspace.diff(cwd, before, maxDiff);
      const checks: string[] = [];
      let ok = exitCode === 0 && final !== undefined && !final.is_error;
      const summary = final?.result ?? '';
      if (budgetMessage) {
        return { status: 'budget_exceeded', error: budgetMessage, result: { changed_files: changed, checks, diff: request.include_diff ? diff.text : '', summary, ...(worktree ? { worktree } : {}) } };
      }
      if (!ok) {
        // Claude Code reports upstream errors with is_error and subtype "success"; the result text says what happened.
        const why = final?.is_error ? `: ${summary.replace(/\s+/g, ' ').slice(0, 200)}` : final ? '' : ', no result event';
        checks.push(`claude: failed (exit ${exitCode ?? '?'}${why})`);
      }
      if (request.scoped_patch) {
        const verdict = checkScope(changed, request.scoped_patch.paths, diff.bytes, request.scoped_patch.max_diff_bytes);
        checks.push(verdict.line);
        ok &&= verdict.ok;
      }
      if (ok) {
        for (const check of request.checks) {
          ctx.log(`check: ${check.name}: ${check.command}`);
          const r = await deps.workspace.runCheck(check, cwd, ctx.signal);
          checks.push(r.line);
          ctx.log(r.line);
          ok &&= r.passed;
        }
      }
      return {
        status: ok ? 'completed' : 'failed',
        error: ok ? undefined : (checks.find((c) => c.includes('failed') || c.includes('timed out')) ?? 'the job did not complete'),
        result: { changed_files: changed, checks, diff: request.include_diff ? diff.text : '', summary, num_turns: final?.num_turns ?? null, ...(worktree ? { worktree } : {}) },
      };
    },
  };
}
