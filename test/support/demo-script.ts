/**
 * What the cheap model "says" in the demo: scripts for the scripted gateway (stand-in for the
 * model provider) that drive the real Claude Code CLI, through Offload's adapter, to fix a
 * failing test in {@link DEMO_PROJECT}, plus the one-reply summary used by the `run_job` demo call.
 *
 * Requests arrive in OpenAI chat format as the adapter sends them: `messages` with roles
 * system / user / assistant (with `tool_calls`) / tool, and `tools` as OpenAI functions.
 * Tool names and inputs are Claude Code 2.1.197's, as observed (docs/notes-claude-code.md):
 * Edit needs an earlier Read of the same file in the session; paths may be absolute or relative
 * to the CLI's cwd.
 */
import type { Reply, Script } from './scripted-gateway';

/** The demo project and prompt are the CLI demo's own (src/cli/demo-project.ts), so demo and tests agree. */
export { DEMO_PROJECT, DEMO_START_PROMPT as DEMO_PROMPT } from '../../src/cli/demo-project';

/** Usage (tokens) the gateway reports for each agent-loop turn, for each background call, and for the summary. */
export const DEMO_USAGE = {
  agentTurn: { prompt_tokens: 1200, completion_tokens: 80 },
  background: { prompt_tokens: 300, completion_tokens: 10 },
  summary: { prompt_tokens: 400, completion_tokens: 60 },
} as const;

/** The final answer of a successful run. */
export const DEMO_FINAL_TEXT = 'Fixed add() in src/math.js; tests pass.';

/** The reply of the `run_job` summary call (fixed text and usage). */
export const summaryReply: Reply = {
  text: 'src/math.js exports one function, add(a, b), which returns the sum of its two arguments. It is covered by test/math.test.js.',
  usage: { ...DEMO_USAGE.summary },
  finish_reason: 'stop',
};

/** Answers every request with {@link summaryReply}. */
export const summaryScript: Script = () => summaryReply;

interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: { function?: { name?: string } }[];
}

/** Text of an OpenAI message content (string, or array of `{type:'text', text}` parts). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/**
 * The CLI's working directory as its prompt states it ("Primary working directory: …" by
 * default, "CWD: …" with `--bare`), or null — callers then use paths relative to the cwd.
 */
export function cwdFromRequest(body: unknown): string | null {
  const all = JSON.stringify(body ?? '');
  const m = /(?:Primary working directory|CWD): ([^\s"\\]+)/.exec(all);
  return m?.[1] ?? null;
}

/** True when the request looks like Claude Code's (its system prompt names Claude). */
function isClaudeCode(messages: ChatMessage[]): boolean {
  return messages.some((m) => m.role === 'system' && /Claude (agent|Code)/.test(textOf(m.content)));
}

/** Tool messages so far, oldest first, each with the name of the call it answers. */
function toolResults(messages: ChatMessage[]): { name: string; text: string }[] {
  const names = messages.flatMap((m) =>
    m.role === 'assistant' ? (m.tool_calls ?? []).map((c) => c.function?.name ?? '') : [],
  );
  return messages.filter((m) => m.role === 'tool').map((m, i) => ({ name: names[i] ?? '', text: textOf(m.content) }));
}

const looksFailed = (t: string) =>
  /<tool_use_error>|requires approval|haven't granted|not been read|Exit code [1-9]|# fail [1-9]|npm (ERR|error)/.test(
    t,
  );

/**
 * The agent-loop script: Read src/math.js → Edit `return a - b` → `return a + b` → Bash
 * `npm test` → final text. The step is the number of tool results in the conversation. A failed
 * tool result ends the loop with a text saying what failed (so the demo never claims a success
 * the CLI did not see). Requests without tools: Claude Code's background calls (e.g. the session
 * title, which asks for JSON) get a short JSON title; any other tool-less request is the
 * `run_job` summary and gets {@link summaryReply}, so one gateway serves the whole demo.
 * Every reply carries explicit usage from {@link DEMO_USAGE}.
 */
export const demoScript: Script = (req) => {
  const messages: ChatMessage[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  const hasTools = Array.isArray(req.body?.tools) && req.body.tools.length > 0;
  if (!hasTools) {
    return isClaudeCode(messages)
      ? { text: '{"title": "Fix failing add test"}', usage: { ...DEMO_USAGE.background }, finish_reason: 'stop' }
      : summaryReply;
  }
  const cwd = cwdFromRequest(req.body);
  const file = cwd ? `${cwd.replace(/\/$/, '')}/src/math.js` : 'src/math.js';
  const usage = { ...DEMO_USAGE.agentTurn };
  const results = toolResults(messages);
  const last = results.at(-1);
  if (last && looksFailed(last.text)) {
    const firstLine = last.text.split('\n').find((l) => l.trim()) ?? '';
    return {
      text: `Stopped: ${last.name || 'a tool'} failed: ${firstLine.slice(0, 200)}`,
      usage,
      finish_reason: 'stop',
    };
  }
  const steps: Reply[] = [
    {
      text: 'Let me look at the implementation.',
      tool_calls: [{ name: 'Read', arguments: { file_path: file } }],
      usage,
    },
    {
      tool_calls: [
        { name: 'Edit', arguments: { file_path: file, old_string: 'return a - b', new_string: 'return a + b' } },
      ],
      usage,
    },
    { tool_calls: [{ name: 'Bash', arguments: { command: 'npm test', description: 'Run the tests' } }], usage },
  ];
  return steps[results.length] ?? { text: DEMO_FINAL_TEXT, usage, finish_reason: 'stop' };
};
