/**
 * A hand translation between the Anthropic probe and OpenAI-side scripts, so a {@link Script}
 * written for the scripted gateway (stand-in for the model provider) can drive the real Claude
 * Code CLI before Offload's adapter exists. Deliberately minimal (text, tool_use, tool_result,
 * system): it checks scripts, it is not the adapter.
 */
import type { Decider, Decision } from './anthropic-probe';
import type { RecordedRequest, Reply, Script } from './scripted-gateway';

type Block = {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
};

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? content.map((b: Block) => (b.type === 'text' ? (b.text ?? '') : '')).join('') : '';
}

/**
 * An Anthropic Messages request body in OpenAI chat shape: `system` blocks → one system message;
 * a user message's `tool_result` blocks → `tool` messages (before its text); assistant
 * `tool_use` blocks → `tool_calls`; mid-conversation `system` messages kept as system; tools →
 * OpenAI functions.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function toOpenAiRequest(body: any): { model: string; messages: object[]; tools?: object[] } {
  const messages: object[] = [];
  const system = text(body.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of body.messages ?? []) {
    const blocks: Block[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (m.role === 'assistant') {
      const calls = blocks
        .filter((b) => b.type === 'tool_use')
        .map((b) => ({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } }));
      messages.push({
        role: 'assistant',
        content: text(blocks) || null,
        ...(calls.length ? { tool_calls: calls } : {}),
      });
      continue;
    }
    for (const b of blocks.filter((x) => x.type === 'tool_result'))
      messages.push({ role: 'tool', tool_call_id: b.tool_use_id, content: text(b.content) });
    const rest = text(blocks);
    if (rest) messages.push({ role: m.role === 'system' ? 'system' : 'user', content: rest });
  }
  const tools = (body.tools ?? []).map((t: { name: string; description?: string; input_schema?: unknown }) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.input_schema },
  }));
  return { model: body.model, messages, ...(tools.length ? { tools } : {}) };
}

/** A scripted reply as a probe decision (text block, then tool_use blocks). */
export function toDecision(reply: Reply): Decision {
  if ('error' in reply)
    return {
      error: { status: reply.error.status, type: reply.error.type ?? 'api_error', message: reply.error.message },
    };
  const blocks: Extract<Decision, { blocks: unknown }>['blocks'] = [];
  if (reply.text) blocks.push({ type: 'text', text: reply.text });
  for (const c of reply.tool_calls ?? []) blocks.push({ type: 'tool_use', name: c.name, input: c.arguments });
  return { blocks, stop_reason: reply.tool_calls?.length ? 'tool_use' : 'end_turn' };
}

/** A probe decider that plays an OpenAI-side script, recording what the script saw in `seen`. */
export function deciderFromScript(script: Script, seen: RecordedRequest[] = []): Decider {
  return (body, index) => {
    const rec: RecordedRequest = {
      body: toOpenAiRequest(body),
      headers: {},
      path: '/v1/chat/completions',
      at: Date.now(),
    };
    seen.push(rec);
    const reply =
      typeof script === 'function'
        ? script(rec, index)
        : (script[index] ?? { error: { status: 500, message: 'script exhausted' } });
    return toDecision(reply);
  };
}
