/**
 * Scripts for the scripted gateway (stand-in for the model provider) that make the real Claude
 * Code CLI run a fixed list of tool calls (Read, Edit, Write) and then answer with a text. Paths
 * are relative to the CLI's working directory (its prompt states it), so the same plan works in
 * the checkout and in a job's worktree. Several jobs can share one gateway: each picks its plan by
 * a word of its prompt.
 */
import { cwdFromRequest } from './demo-script';
import type { Reply, Script } from './scripted-gateway';

/** One tool call of a plan, with `file_path` relative to the job's folder. */
export type PlanStep =
  | { tool: 'Read'; file: string }
  | { tool: 'Write'; file: string; content: string }
  | { tool: 'Edit'; file: string; from: string; to: string };

interface Msg {
  role: string;
  content?: unknown;
}
const text = (c: unknown): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p.text ?? '').join('') : '';

/**
 * A script that plays `plans[key]` for the job whose prompt contains `key`: step n is the n-th
 * tool call (n = tool results so far), then a final text. Tool-less requests (Claude Code's
 * session-title call) get a JSON title.
 */
export function planScript(plans: Record<string, PlanStep[]>): Script {
  return (req) => {
    const usage = { prompt_tokens: 900, completion_tokens: 40 };
    const messages: Msg[] = req.body.messages ?? [];
    if (!req.body.tools?.length) return { text: '{"title": "Scripted job"}', usage };
    const prompt = messages
      .filter((m) => m.role === 'user')
      .map((m) => text(m.content))
      .join('\n');
    const key = Object.keys(plans).find((k) => prompt.includes(k));
    if (!key) return { text: 'No plan for this prompt.', usage };
    const base = (cwdFromRequest(req.body) ?? '.').replace(/\/$/, '');
    const step = plans[key]![messages.filter((m) => m.role === 'tool').length];
    if (!step) return { text: `Done with ${key}.`, usage, finish_reason: 'stop' };
    const file_path = `${base}/${step.file}`;
    const args =
      step.tool === 'Read'
        ? { file_path }
        : step.tool === 'Write'
          ? { file_path, content: step.content }
          : { file_path, old_string: step.from, new_string: step.to };
    return { tool_calls: [{ name: step.tool, arguments: args }], usage } satisfies Reply;
  };
}

/** The demo fix as a plan: read src/math.js, then turn `a - b` into `a + b`. */
export const FIX_MATH: PlanStep[] = [
  { tool: 'Read', file: 'src/math.js' },
  { tool: 'Edit', file: 'src/math.js', from: 'return a - b', to: 'return a + b' },
];

/**
 * Wraps `script` so that the replies to requests whose messages name one of `keys` are held until
 * every key has sent a request (or `maxWaitMs` has passed, so a serialized run fails its assertion
 * instead of hanging). A test proves that jobs ran in parallel with it, not by timing.
 */
export function meetScript(script: Script, keys: string[], maxWaitMs = 30_000): Script {
  if (typeof script !== 'function') throw new Error('meetScript: script must be a function');
  const seen = new Set<string>();
  let open!: () => void;
  const met = new Promise<void>((resolve) => {
    open = resolve;
  });
  const answerAfter = Promise.race([met, new Promise<void>((resolve) => setTimeout(resolve, maxWaitMs).unref())]);
  return (req, index) => {
    const messages = JSON.stringify(req.body?.messages ?? []);
    const key = keys.find((k) => messages.includes(k));
    const reply = script(req, index);
    if (!key) return reply;
    seen.add(key);
    if (seen.size === keys.length) open();
    return 'error' in reply ? reply : { ...reply, answerAfter };
  };
}
