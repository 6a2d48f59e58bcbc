import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Config } from '../../core/config';
import { layoutPrompt, type PromptFile } from '../../core/prompt-layout';
import { chatTranscriptBytes } from '../../core/savings';
import type { RunJobRequest } from '../../core/requests';
import type { Runner } from '../runner';
import type { WorkspacePort } from './claude-code';
import { runEditJob } from './llm-edit';
import { openChecked, readHead } from '../workspace/read-checked';
import { meteredChat, type MeteredChatDeps } from './metered-chat';

/** Largest file given to a model as context, bytes; bigger files are cut with a marker. */
export const MAX_INPUT_REF_BYTES = 256 * 1024;

export interface LlmRunnerDeps extends MeteredChatDeps {
  config: Pick<Config, 'agents' | 'perJobTokenLimit' | 'sandboxRoots' | 'diffMaxBytes' | 'isolation' | 'escalateModel'>;
  /** The workspace layer edit mode (`apply: true`) snapshots, diffs and writes through (llm-edit.ts); without it, edit jobs fail. */
  workspace?: WorkspacePort;
  /** Resolves a user path (symlinks too) inside the sandbox roots; throws naming `field` otherwise. */
  resolvePath: (path: string, field: string) => Promise<string>;
}

const SYSTEM =
  'You are a careful worker model. Do exactly the task. Answer with the result only: no preamble, no commentary.';

/**
 * Reads a file for a prompt through one descriptor (read-checked.ts: `real` is the checked real
 * path; a swap since the check throws naming `field`): UTF-8, cut at MAX_INPUT_REF_BYTES with a marker.
 */
export async function fileForPrompt(
  real: string,
  label: string,
  roots: readonly string[],
  field: string,
): Promise<PromptFile> {
  const handle = await openChecked(real, roots, field);
  try {
    const { bytes, size } = await readHead(handle, MAX_INPUT_REF_BYTES);
    return {
      path: label,
      text: bytes.toString('utf8') + (size > MAX_INPUT_REF_BYTES ? '\n[… truncated by Offload]' : ''),
    };
  } finally {
    await handle.close();
  }
}

/**
 * The prompt of a run_job (not edit mode): the referenced files and the task, laid out for the
 * prefix cache, and max_tokens = caps.max_tokens clamped by PER_JOB_TOKEN_LIMIT. Shared by the
 * runner and the provider Batch API (provider-batch.ts). Throws what resolvePath and fileForPrompt throw.
 */
export async function llmPrompt(
  deps: Pick<LlmRunnerDeps, 'config' | 'resolvePath'>,
  request: RunJobRequest,
): Promise<{ messages: ChatCompletionMessageParam[]; maxTokens: number }> {
  const refs: PromptFile[] = [];
  for (const [i, ref] of (request.input_refs ?? []).entries())
    refs.push(
      await fileForPrompt(
        await deps.resolvePath(ref, `input_refs[${i}]`),
        ref,
        deps.config.sandboxRoots,
        `input_refs[${i}]`,
      ),
    );
  const messages = layoutPrompt(SYSTEM, refs, request.task);
  const maxTokens = Math.min(request.caps?.max_tokens ?? deps.config.perJobTokenLimit, deps.config.perJobTokenLimit);
  return { messages, maxTokens };
}

/**
 * The `run_job` / `queue_batch` runner (the original OpenAI worker): one metered chat call by the
 * agent's model on the referenced files and the task (laid out for the prefix cache); max_tokens is caps.max_tokens clamped by
 * PER_JOB_TOKEN_LIMIT. With `apply: true` the job is an edit job instead (llm-edit.ts runEditJob).
 */
export function createLlmRunner(deps: LlmRunnerDeps): Runner<RunJobRequest> {
  return {
    kind: 'llm',
    async run(ctx, request) {
      if (request.apply) {
        if (!deps.workspace)
          return { status: 'failed', error: 'edit mode is not available in this worker (no workspace layer)' };
        return runEditJob({ ...deps, workspace: deps.workspace }, ctx, request);
      }
      const { messages, maxTokens } = await llmPrompt(deps, request);
      const r = await meteredChat(deps, ctx, ctx.job.model, messages, maxTokens);
      return {
        status: 'completed',
        transcriptBytes: chatTranscriptBytes(messages, r.output),
        result: { output: r.output, finish_reason: r.finishReason, agent: ctx.job.agent },
      };
    },
  };
}
