import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Config } from '../../core/config';
import { layoutPrompt } from '../../core/prompt-layout';
import { chatTranscriptBytes } from '../../core/savings';
import type { AnalyzeRequest } from '../../core/requests';
import type { Runner } from '../runner';
import { collectFiles, displayPath } from '../workspace/collect-files';
import { meteredChat, type MeteredChatDeps } from './metered-chat';

/** How much `analyze` reads at most: files, and UTF-8 bytes in all. */
export const ANALYZE_LIMITS = { maxFiles: 200, maxBytes: 400 * 1024 };

export interface AnalyzeRunnerDeps extends MeteredChatDeps {
  config: Pick<Config, 'perJobTokenLimit' | 'sandboxRoots' | 'readSecretFiles'>;
}

const SYSTEM =
  'You answer questions about code you are shown. You cannot run or change anything. Be specific: cite file paths and line content. If the files do not answer the question, say so.';

/**
 * The `analyze` runner (the async Claude Code worker's read-only tool): reads the files and
 * folders asked for (inside the sandbox; dependency folders and binaries skipped; at most
 * ANALYZE_LIMITS) and answers the question in one metered call. No agent loop, no edits.
 */
export function createAnalyzeRunner(deps: AnalyzeRunnerDeps): Runner<AnalyzeRequest & { resolved: string[] }> {
  return {
    kind: 'analyze',
    async run(ctx, request) {
      const roots = deps.config.sandboxRoots;
      const found = await collectFiles(request.resolved, roots, {
        ...ANALYZE_LIMITS,
        allowSecretFiles: deps.config.readSecretFiles,
      });
      ctx.log(
        `analyze: read ${found.files.length} file(s)${found.truncated ? ' (cut at the size limit)' : ''}, skipped ${found.skipped}`,
      );
      // Instructions, then the files by path, then the question: the prefix a provider can cache (core/prompt-layout.ts).
      const files = found.files.map((f) => ({ path: displayPath(f.path, roots), text: f.text }));
      const messages: ChatCompletionMessageParam[] = layoutPrompt(
        SYSTEM,
        files,
        request.question,
        '(no readable files)',
      );
      const maxTokens = Math.min(request.max_tokens ?? deps.config.perJobTokenLimit, deps.config.perJobTokenLimit);
      const r = await meteredChat(deps, ctx, ctx.job.model, messages, maxTokens);
      return {
        status: 'completed',
        transcriptBytes: chatTranscriptBytes(messages, r.output),
        result: {
          output: r.output,
          files_read: found.files.map((f) => displayPath(f.path, roots)),
          truncated: found.truncated,
          agent: ctx.job.agent,
        },
      };
    },
  };
}
