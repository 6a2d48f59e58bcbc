import { dirname, join, relative, sep } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import {
  applyEdits,
  EDIT_RESPONSE_FORMAT,
  editInstructions,
  EditRejectedError,
  parseEditAnswer,
} from '../../core/edits';
import { modelRequestRules } from '../../core/model-rules';
import { layoutPrompt, type PromptFile } from '../../core/prompt-layout';
import type { RunJobRequest } from '../../core/requests';
import { chatTranscriptBytes } from '../../core/savings';
import type { RunContext, RunOutcome } from '../runner';
import { openChecked, readHead } from '../workspace/read-checked';
import type { WorkspacePort } from './claude-code';
import { meteredChat, type MeteredChatDeps } from './metered-chat';
import type { LlmRunnerDeps } from './llm';

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

/**
 * `run_job {apply: true}` (issue 15, item 1): one metered call asking for edits of the input_refs
 * files (core/edits.ts: structured output where the model takes a JSON schema, else the strict
 * fenced-block fallback), then the answer is parsed and applied to the files' texts in memory.
 * An answer that does not parse or apply fails the job and no file is touched (no snapshot is
 * taken either). Else: with WORKER_ISOLATION=worktree a worktree of the files' folder is made and
 * the edits go there; otherwise in place. The folder is snapshotted (git tree, workspace/git.ts),
 * the files are written atomically, and the result carries `changed_files`, `checks` (none: edit
 * mode runs no checks yet), `diff` and the `workspace` record that `apply`/`discard` work from,
 * as a `start` job's does. A file that changed on disk since the model read it fails the job
 * before anything is written; a failed write puts back what was written.
 */
export async function runEditJob(deps: EditDeps, ctx: RunContext, request: RunJobRequest): Promise<RunOutcome> {
  const roots = deps.config.sandboxRoots;
  const files: EditFile[] = [];
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
  const fenced = !modelRequestRules(ctx.job.model).jsonSchemaOutput;
  // Instructions, then the files by path, then the task (core/prompt-layout.ts), as in text mode.
  const messages = layoutPrompt(editInstructions(fenced), files, request.task);
  const maxTokens = Math.min(request.caps?.max_tokens ?? deps.config.perJobTokenLimit, deps.config.perJobTokenLimit);
  ctx.log(
    `edit mode: ${files.length} file(s), answer as ${fenced ? 'one ```json fenced block (fallback)' : 'structured output (json_schema)'}`,
  );
  const r = await meteredChat(deps, ctx, ctx.job.model, messages, maxTokens, fenced ? undefined : EDIT_RESPONSE_FORMAT);
  const transcriptBytes = chatTranscriptBytes(messages, r.output);
  let edits: { path: string; text: string }[];
  try {
    if (r.finishReason === 'length') throw new EditRejectedError('the answer was cut at max_tokens');
    edits = applyEdits(new Map(files.map((f) => [f.path, f.text])), parseEditAnswer(r.output, fenced));
    for (const e of edits) {
      const f = files.find((x) => x.path === e.path)!;
      if ((await readWhole(f.real, roots, f.path)) !== f.text)
        throw new EditRejectedError(`${f.path} changed on disk while the model worked; run the job again`);
    }
  } catch (err) {
    if (err instanceof EditRejectedError) {
      ctx.log(`edit rejected: ${err.message}`);
      return fail(`edit rejected: ${err.message}; no file was written`, r.output, transcriptBytes);
    }
    throw err;
  }
  const home = commonDir(files.map((f) => f.real));
  try {
    // The snapshot covers the files' common folder: it must lie inside the sandbox too (not `/` for files under two roots).
    await deps.resolvePath(home, 'input_refs');
  } catch {
    return fail(
      `edit mode: the input_refs must share a folder inside one sandbox root (their common folder is ${home}); no file was written`,
      r.output,
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
  const targets = edits.map((e) => ({
    ...e,
    abs: join(cwd, relative(home, files.find((f) => f.path === e.path)!.real)),
  }));
  try {
    for (const t of targets) {
      await writeFileAtomic(t.abs, t.text);
      ctx.log(`edited ${t.path}`);
    }
  } catch (err) {
    await deps.workspace.restore(cwd, before, await deps.workspace.changedFiles(cwd, before));
    throw err;
  }
  const diff = await deps.workspace.diff(cwd, before, deps.config.diffMaxBytes);
  return {
    status: 'completed',
    transcriptBytes,
    result: {
      output: `edited ${edits.length} file(s)`,
      finish_reason: r.finishReason,
      agent: ctx.job.agent,
      edit_format: fenced ? 'fenced' : 'json_schema',
      changed_files: await deps.workspace.changedFiles(cwd, before),
      checks: [],
      diff: diff.text,
      ...(wt ? { worktree: wt.path, branch: wt.branch } : {}),
      // What apply/discard need, from any process (src/jobs/undo.ts); not shown in results.
      workspace: {
        snapshot: before,
        after_tree: await deps.workspace.tree(cwd, before),
        ...(wt ? { worktree: wt } : {}),
      },
    },
  };
}
