import { dirname, join, relative, sep } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { BudgetExceededError } from '../../core/budget';
import {
  applyEdits,
  EDIT_RESPONSE_FORMAT,
  editInstructions,
  EditRejectedError,
  parseEditAnswer,
} from '../../core/edits';
import { modelRequestRules } from '../../core/model-rules';
import { layoutPrompt, type PromptFile } from '../../core/prompt-layout';
import { DEFAULT_MAX_REVISIONS, type RunJobRequest } from '../../core/requests';
import { chatTranscriptBytes } from '../../core/savings';
import type { RunContext, RunOutcome } from '../runner';
import { failedCheckError, runChecks, type CheckRun } from './check-runs';
import { openChecked, readHead } from '../workspace/read-checked';
import type { WorkspacePort } from './claude-code';
import { meteredChat, type MeteredChatDeps } from './metered-chat';
import type { LlmRunnerDeps } from './llm';
import { revisePrompt } from './revise-prompt';

/** What edit mode needs beyond the llm runner's deps: the workspace layer (snapshot, diff, worktrees). */
export interface EditDeps extends MeteredChatDeps, Pick<LlmRunnerDeps, 'resolvePath'> {
  config: LlmRunnerDeps['config'];
  workspace: WorkspacePort;
}

/** Largest file edit mode edits, bytes: the model must see all of it (the llm runner's MAX_INPUT_REF_BYTES). */
const EDIT_MAX_INPUT_BYTES = 256 * 1024;

/** One input file: its label (the ref as given), its checked real path and its whole text. */
interface EditFile extends PromptFile {
  real: string;
}

/** Reads a whole file through one checked descriptor; throws EditRejectedError when it is too big to edit. */
async function readWhole(real: string, roots: readonly string[], field: string): Promise<string> {
  const handle = await openChecked(real, roots, field);
  try {
    const { bytes, size } = await readHead(handle, EDIT_MAX_INPUT_BYTES);
    if (size > EDIT_MAX_INPUT_BYTES)
      throw new EditRejectedError(
        `${field}: the file is larger than ${EDIT_MAX_INPUT_BYTES} bytes; edit mode edits whole files the model has seen`,
      );
    return bytes.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The deepest folder holding every path (absolute paths). */
function commonDir(paths: readonly string[]): string {
  let dir = dirname(paths[0]!);
  while (!paths.every((p) => p.startsWith(dir.endsWith(sep) ? dir : dir + sep))) dir = dirname(dir);
  return dir;
}

/** One pass's answer applied in memory: the edits, or why it was refused; and its transcript bytes (core/savings.ts). */
type PassAnswer =
  | { edits: { path: string; text: string }[]; output: string; finishReason: string | null; bytes: number }
  | { rejected: string; output: string; bytes: number };

/** Whether `model` answers edits as the fenced-block fallback (no JSON-schema output, core/model-rules.ts). */
const fencedFor = (model: string) => !modelRequestRules(model).jsonSchemaOutput;

/**
 * One metered edit call to `opts.model` on `files` (instructions, the files by path, then `task`:
 * core/prompt-layout.ts), in the answer format that model takes, and its answer parsed and applied
 * to their texts in memory. Refused (`rejected`, nothing written)
 * when the answer was cut at max_tokens, does not parse or apply (core/edits.ts), or an edited file
 * changed on disk since it was read (`roots`: where the files may lie). Throws what meteredChat throws.
 */
async function askForEdits(
  deps: EditDeps,
  ctx: RunContext,
  files: readonly EditFile[],
  task: string,
  opts: { model: string; maxTokens: number; roots: readonly string[] },
): Promise<PassAnswer> {
  const fenced = fencedFor(opts.model);
  const messages = layoutPrompt(editInstructions(fenced), files, task);
  const r = await meteredChat(
    deps,
    ctx,
    opts.model,
    messages,
    opts.maxTokens,
    fenced ? undefined : EDIT_RESPONSE_FORMAT,
  );
  const bytes = chatTranscriptBytes(messages, r.output);
  try {
    if (r.finishReason === 'length') throw new EditRejectedError('the answer was cut at max_tokens');
    const edits = applyEdits(new Map(files.map((f) => [f.path, f.text])), parseEditAnswer(r.output, fenced));
    for (const e of edits) {
      const f = files.find((x) => x.path === e.path)!;
      if ((await readWhole(f.real, opts.roots, f.path)) !== f.text)
        throw new EditRejectedError(`${f.path} changed on disk while the model worked; run the job again`);
    }
    return { edits, output: r.output, finishReason: r.finishReason, bytes };
  } catch (err) {
    if (!(err instanceof EditRejectedError)) throw err;
    ctx.log(`edit rejected: ${err.message}`);
    return { rejected: err.message, output: r.output, bytes };
  }
}

/**
 * `run_job {apply: true}` (issue 15, item 1): one metered call asking for edits of the input_refs
 * files (core/edits.ts: structured output where the model takes a JSON schema, else the strict
 * fenced-block fallback), then the answer is parsed and applied to the files' texts in memory.
 * An answer that does not parse or apply fails the job and no file is touched (no snapshot is
 * taken either). Else: with WORKER_ISOLATION=worktree a worktree of the files' folder is made and
 * the edits go there; otherwise in place. The folder is snapshotted (git tree, workspace/git.ts)
 * and the files are written atomically. Then `checks` run in that folder (as `start`'s do); while
 * one fails, at most `max_revisions` times (default 1), a revise pass asks again — on
 * WORKER_ESCALATE_MODEL when set, as `start`'s revise passes do, else the job's model — with the
 * failing checks' output (revise-prompt.ts) and the files as they are now, and its answer
 * is checked and written the same way; a refused revise answer fails the job with the earlier
 * passes' edits left for review. The result carries `changed_files`, `checks` (one line each),
 * `revisions`, `diff` and the `workspace` record that `apply`/`discard` work from (all passes
 * against the one pre-job snapshot), as a `start` job's does. A file that changed on disk since
 * the model read it fails the pass before anything is written; a failed write puts every file
 * back to the snapshot and throws.
 */
export async function runEditJob(deps: EditDeps, ctx: RunContext, request: RunJobRequest): Promise<RunOutcome> {
  const roots = deps.config.sandboxRoots;
  let files: EditFile[] = [];
  const fail = (error: string, output = '', transcriptBytes = 0): RunOutcome => ({
    status: 'failed',
    error,
    transcriptBytes,
    result: { output, changed_files: [], checks: [], diff: '', agent: ctx.job.agent },
  });
  try {
    for (const [i, ref] of (request.input_refs ?? []).entries()) {
      const field = `input_refs[${i}]`;
      const real = await deps.resolvePath(ref, field);
      files.push({ path: ref, real, text: await readWhole(real, roots, field) });
    }
  } catch (err) {
    if (err instanceof EditRejectedError) return fail(`edit mode: ${err.message}; no file was written`);
    throw err;
  }
  const fenced = fencedFor(ctx.job.model);
  const maxTokens = Math.min(request.caps?.max_tokens ?? deps.config.perJobTokenLimit, deps.config.perJobTokenLimit);
  ctx.log(
    `edit mode: ${files.length} file(s), answer as ${fenced ? 'one ```json fenced block (fallback)' : 'structured output (json_schema)'}`,
  );
  let answer = await askForEdits(deps, ctx, files, request.task, { model: ctx.job.model, maxTokens, roots });
  let transcriptBytes = answer.bytes;
  if ('rejected' in answer)
    return fail(`edit rejected: ${answer.rejected}; no file was written`, answer.output, transcriptBytes);
  const home = commonDir(files.map((f) => f.real));
  try {
    // The snapshot covers the files' common folder: it must lie inside the sandbox too (not `/` for files under two roots).
    await deps.resolvePath(home, 'input_refs');
  } catch {
    return fail(
      `edit mode: the input_refs must share a folder inside one sandbox root (their common folder is ${home}); no file was written`,
      answer.output,
      transcriptBytes,
    );
  }
  let cwd = home;
  let wt: { path: string; branch: string; checkout: string } | undefined;
  if (deps.config.isolation === 'worktree') {
    const made = await deps.workspace.createWorktree(home, ctx.job.id);
    cwd = made.cwd;
    wt = { path: made.path, branch: made.branch, checkout: made.checkout };
    ctx.log(`isolation: edits go to a worktree at ${wt.path} on branch ${wt.branch}; your checkout is not touched`);
  }
  const before = await deps.workspace.snapshot(cwd);
  // From here the files are where the edits go (the worktree's copies under isolation); revise passes read them there.
  files = files.map((f) => ({ ...f, real: join(cwd, relative(home, f.real)) }));
  const fileRoots = [...roots, cwd];
  const edited = new Set<string>();
  let runs: CheckRun[] = [];
  let pass = 0;
  let last = answer;
  const shape = async (status: RunOutcome['status'], error?: string): Promise<RunOutcome> => ({
    status,
    error,
    transcriptBytes,
    result: {
      output: `edited ${edited.size} file(s)${pass ? ` in ${pass + 1} passes` : ''}`,
      finish_reason: last.finishReason,
      agent: ctx.job.agent,
      edit_format: fenced ? 'fenced' : 'json_schema',
      changed_files: await deps.workspace.changedFiles(cwd, before),
      checks: runs.map((c) => c.line),
      revisions: pass,
      diff: (await deps.workspace.diff(cwd, before, deps.config.diffMaxBytes)).text,
      ...(wt ? { worktree: wt.path, branch: wt.branch } : {}),
      // Each check with its output tail, for the panel; not shown in results (core/results.ts).
      check_runs: runs,
      // What apply/discard need, from any process (src/jobs/undo.ts); not shown in results.
      workspace: {
        snapshot: before,
        after_tree: await deps.workspace.tree(cwd, before),
        ...(wt ? { worktree: wt } : {}),
      },
    },
  });
  const maxRevisions = request.max_revisions ?? DEFAULT_MAX_REVISIONS;
  for (;;) {
    try {
      for (const e of last.edits) {
        await writeFileAtomic(files.find((f) => f.path === e.path)!.real, e.text);
        edited.add(e.path);
        ctx.log(`edited ${e.path}`);
      }
    } catch (err) {
      await deps.workspace.restore(cwd, before, await deps.workspace.changedFiles(cwd, before));
      throw err;
    }
    if (!request.checks?.length) return shape('completed');
    const checked = await runChecks(deps.workspace, request.checks, cwd, ctx.signal, ctx.log);
    runs = checked.runs;
    if (ctx.signal.aborted) return shape('cancelled', 'cancelled: the checks were stopped');
    if (!checked.failures.length) return shape('completed');
    if (pass >= maxRevisions) return shape('failed', failedCheckError(runs));
    pass++;
    const model = deps.config.escalateModel ?? ctx.job.model;
    ctx.log(`revise pass ${pass}: checks failed; asking ${model} with the failures and the current files`);
    const current: EditFile[] = [];
    for (const f of files) current.push({ ...f, text: await readWhole(f.real, fileRoots, f.path) });
    try {
      answer = await askForEdits(deps, ctx, current, `${request.task}\n\n${revisePrompt(checked.failures)}`, {
        model,
        maxTokens,
        roots: fileRoots,
      });
    } catch (err) {
      // The earlier passes' edits are on disk: the outcome must keep the workspace record so discard can undo them.
      if (ctx.signal.aborted) return shape('cancelled', 'cancelled during a revise pass');
      if (err instanceof BudgetExceededError) return shape('budget_exceeded', err.message);
      return shape('failed', `revise pass ${pass}: ${err instanceof Error ? err.message : String(err)}`);
    }
    transcriptBytes += answer.bytes;
    if ('rejected' in answer)
      return shape(
        'failed',
        `edit rejected in revise pass ${pass}: ${answer.rejected}; the earlier edits stay (discard undoes them)`,
      );
    files = current;
    last = answer;
  }
}
