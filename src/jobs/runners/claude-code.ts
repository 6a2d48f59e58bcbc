import type { Config } from '../../core/config';
import type { StartRequest } from '../../core/requests';
import { checkScope } from '../../core/scope';
import type { MeteredJob } from '../../adapter/meter';
import type { RunOutcome, Runner } from '../runner';
import { claudeArgs, claudeEnv } from './claude-invocation';
import { runClaudeProcess, type ClaudeProcessOptions, type ClaudeRun } from './claude-process';
import { failedCheckError, runChecks, type CheckFailure, type CheckRun, type RunCheckPort } from './check-runs';
import { revisePrompt } from './revise-prompt';

/** The adapter as the runner sees it: started on first use; one key per job pass. */
export interface AdapterPort {
  /** Base URL of the running adapter (starts it on first call). */
  url(): Promise<string>;
  /** Registers the job for metering and returns its own adapter key. `onBudgetExceeded` fires when a call is refused. */
  register(job: MeteredJob, onBudgetExceeded: (message: string) => void): string;
  unregister(key: string): void;
}

/** What the runner needs from the workspace layer (git snapshot/diff, checks, worktrees). */
export interface WorkspacePort {
  snapshot(dir: string): Promise<unknown>;
  changedFiles(dir: string, before: unknown): Promise<string[]>;
  diff(dir: string, before: unknown, maxBytes: number): Promise<{ text: string; bytes: number }>;
  runCheck: RunCheckPort;
  createWorktree(dir: string, jobId: string): Promise<{ path: string; cwd: string; branch: string; checkout: string }>;
  /** The work tree's tree id now (the job's post state, for apply/discard). */
  tree(dir: string, before: unknown): Promise<string>;
  /** Puts `files` (as changedFiles lists them) back as they were in `before`; created files are removed. */
  restore(dir: string, before: unknown, files: readonly string[]): Promise<void>;
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
  /** The configured secrets (a variable holding one is never passed to the child). */
  secrets?: () => readonly (string | undefined)[];
  /** Runs one Claude Code process (default: the real CLI, runClaudeProcess); unit tests pass a fake. */
  runProcess?: (opts: ClaudeProcessOptions) => Promise<ClaudeRun>;
}

/** The verdict on one pass: its check lines, whether all passed, and what failed (for a revise prompt). */
interface PassVerdict {
  ok: boolean;
  /** False when a revise pass cannot help (the CLI itself failed, or scoped_patch was broken). */
  revisable: boolean;
  /** Every line of `checks`, with pass/fail and output tail. */
  runs: CheckRun[];
  failures: CheckFailure[];
  changed: string[];
  diff: { text: string; bytes: number };
  /** Files changed outside scoped_patch.paths that were put back to the pre-job snapshot. */
  reverted: string[];
}

/**
 * The `start` runner (the async Claude Code worker): runs the real Claude Code CLI in the job's
 * folder (or, with WORKER_ISOLATION=worktree, in a worktree on its own branch `offload/<short id>`)
 * with its Anthropic traffic sent through Offload's adapter under the job's own key, so every
 * upstream call is reserved and settled against this job. Then it collects the changed files with
 * git, checks scoped_patch (reverting what changed outside its paths to the pre-job snapshot:
 * `reverted_files`) and runs the checks. When checks fail it resumes the same session with the
 * failures, at most `max_revisions` times, on WORKER_ESCALATE_MODEL when set (the seed worker's
 * bounded auto-revise). Every result records the pre/post trees (`workspace`) for apply and
 * discard. Cancel kills the CLI's whole process group.
 */
export function createClaudeCodeRunner(deps: ClaudeCodeRunnerDeps): Runner<StartRequest> {
  const judge = async (
    request: StartRequest,
    cwd: string,
    before: unknown,
    run: ClaudeRun,
    signal: AbortSignal,
    log: (l: string) => void,
  ): Promise<PassVerdict> => {
    const changed = await deps.workspace.changedFiles(cwd, before);
    const diff = await deps.workspace.diff(
      cwd,
      before,
      request.scoped_patch?.max_diff_bytes ?? deps.config.diffMaxBytes,
    );
    const v: PassVerdict = {
      ok: run.exitCode === 0 && run.final !== undefined && !run.final.is_error,
      revisable: true,
      runs: [],
      failures: [],
      changed,
      diff,
      reverted: [],
    };
    if (!v.ok) {
      // Claude Code reports upstream errors with is_error and subtype "success"; the result text says what happened.
      const why = run.final?.is_error
        ? `: ${(run.final.result ?? '').replace(/\s+/g, ' ').slice(0, 200)}`
        : run.final
          ? ''
          : ', no result event';
      v.runs.push({ line: `claude: failed (exit ${run.exitCode ?? '?'}${why})`, passed: false, output_tail: '' });
      v.revisable = false;
    }
    if (request.scoped_patch) {
      const scope = checkScope(changed, request.scoped_patch.paths, diff.bytes, request.scoped_patch.max_diff_bytes);
      v.runs.push({ line: scope.line, passed: scope.ok, output_tail: '' });
      if (!scope.ok) v.ok = v.revisable = false;
      if (scope.outside.length) {
        // scoped_patch rejects: what changed outside the scope goes back to the snapshot; edits inside stay for review.
        await deps.workspace.restore(cwd, before, scope.outside);
        v.reverted = scope.outside;
        log(
          `scoped_patch: reverted ${scope.outside.length} file(s) outside ${request.scoped_patch.paths.join(', ')}: ${scope.outside.join(', ')}`,
        );
        v.changed = await deps.workspace.changedFiles(cwd, before);
        v.diff = await deps.workspace.diff(
          cwd,
          before,
          request.scoped_patch.max_diff_bytes ?? deps.config.diffMaxBytes,
        );
      }
    }
    if (!v.ok) return v;
    const checked = await runChecks(deps.workspace, request.checks, cwd, signal, log);
    v.runs.push(...checked.runs);
    v.failures = checked.failures;
    if (checked.failures.length) v.ok = false;
    return v;
  };

  return {
    kind: 'claude-code',
    async run(ctx, request) {
      const dirs: string[] = [];
      for (const [i, dir] of request.allowed_dirs.entries())
        dirs.push(await deps.resolvePath(dir, `allowed_dirs[${i}]`));
      let cwd = request.cwd ? await deps.resolvePath(request.cwd, 'cwd') : dirs[0]!;
      let wt: { path: string; branch: string; checkout: string } | undefined;
      if (deps.config.isolation === 'worktree') {
        const made = await deps.workspace.createWorktree(cwd, ctx.job.id);
        ({ cwd } = made);
        wt = { path: made.path, branch: made.branch, checkout: made.checkout };
        ctx.log(
          `isolation: the job runs in a worktree at ${wt.path} on branch ${wt.branch}; your checkout is not touched`,
        );
      }
      const runProcess = deps.runProcess ?? runClaudeProcess;
      const before = await deps.workspace.snapshot(cwd);
      const url = await deps.adapter.url();
      let budgetMessage: string | undefined;
      let run: ClaudeRun = {};
      let verdict: PassVerdict | undefined;
      let pass = 0;
      let transcriptBytes = 0; // the CLI's stream-json output plus the request bodies it sent (core/savings.ts)
      const shape = async (status: RunOutcome['status'], error?: string): Promise<RunOutcome> => ({
        status,
        error,
        transcriptBytes,
        result: {
          changed_files: verdict?.changed ?? [],
          checks: (verdict?.runs ?? []).map((c) => c.line),
          diff: request.include_diff ? (verdict?.diff.text ?? '') : '',
          summary: run.final?.result ?? '',
          num_turns: run.final?.num_turns ?? null,
          revisions: pass,
          ...(verdict?.reverted.length ? { reverted_files: verdict.reverted } : {}),
          ...(wt ? { worktree: wt.path, branch: wt.branch } : {}),
          // Each check with its output tail, for the panel; not shown in results (core/results.ts).
          check_runs: verdict?.runs ?? [],
          // What apply/discard need, from any process (src/jobs/undo.ts); not shown in results.
          workspace: {
            snapshot: before,
            after_tree: await deps.workspace.tree(cwd, before),
            ...(wt ? { worktree: wt } : {}),
          },
        },
      });
      for (;;) {
        const model = pass > 0 && deps.config.escalateModel ? deps.config.escalateModel : ctx.job.model;
        const key = deps.adapter.register(
          {
            jobId: ctx.job.id,
            model,
            escalateModel: deps.config.escalateModel,
            signal: ctx.signal,
            onRequestBytes: (n) => {
              transcriptBytes += n;
            },
          },
          (m) => {
            budgetMessage = m;
          },
        );
        try {
          const prompt = pass === 0 ? request.prompt : revisePrompt(verdict!.failures);
          ctx.log(
            pass === 0
              ? `claude: starting in ${cwd} (gateway model ${model}) via adapter ${url}`
              : `revise pass ${pass}: checks failed; resuming the session on ${model}`,
          );
          const args = claudeArgs(
            { ...request, prompt },
            deps.config,
            dirs.filter((d) => d !== cwd),
            pass > 0 ? run.sessionId : undefined,
          );
          const sessionId = run.sessionId;
          run = await runProcess({
            claudePath: deps.claudePath,
            args,
            cwd,
            env: claudeEnv(deps.baseEnv, url, key, { extraNames: deps.config.childEnv, secrets: deps.secrets?.() }),
            signal: ctx.signal,
            log: ctx.log,
          });
          run.sessionId ??= sessionId;
          transcriptBytes += run.stdoutBytes ?? 0;
        } finally {
          deps.adapter.unregister(key);
        }
        if (ctx.signal.aborted) return shape('cancelled', 'cancelled: the Claude Code process tree was killed');
        if (budgetMessage) {
          verdict = { ...(await judge({ ...request, checks: [] }, cwd, before, run, ctx.signal, ctx.log)), runs: [] };
          return shape('budget_exceeded', budgetMessage);
        }
        verdict = await judge(request, cwd, before, run, ctx.signal, ctx.log);
        if (verdict.ok) return shape('completed');
        if (!verdict.revisable || !verdict.failures.length || pass >= request.max_revisions || !run.sessionId) break;
        pass++;
      }
      return shape('failed', failedCheckError(verdict.runs));
    },
  };
}
