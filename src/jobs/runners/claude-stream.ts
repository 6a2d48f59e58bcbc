/**
 * Reading Claude Code's `--output-format stream-json --verbose` output: one JSON event per line
 * (`system`/init, `assistant` and `user` messages, and a final `result`). We turn events into
 * short log lines for `tail` and keep the final result.
 */

/** The final `result` event of a Claude Code run (fields we use). */
export interface ClaudeResultEvent {
  type: 'result';
  subtype?: string;
  is_error?: boolean;
  result?: string;
  num_turns?: number;
  duration_ms?: number;
  total_cost_usd?: number;
}

interface Block {
  type?: string;
  text?: string;
  name?: string;
  input?: Record<string, unknown>;
  content?: unknown;
  is_error?: boolean;
}

function clip(text: string, max = 200): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

function toolTarget(input: Record<string, unknown> | undefined): string {
  if (!input) return '';
  const v = input.file_path ?? input.path ?? input.command ?? input.pattern ?? input.url;
  return typeof v === 'string' ? ` ${clip(v, 120)}` : '';
}

/**
 * Parses one stdout line. Returns the log lines it yields, the session id (init event) and, for
 * the final event, the result.
 * Lines that are not JSON are passed through as they are (the CLI may print warnings).
 */
export function readStreamLine(line: string): { logs: string[]; result?: ClaudeResultEvent; sessionId?: string } {
  const trimmed = line.trim();
  if (!trimmed) return { logs: [] };
  let event: Omit<Partial<ClaudeResultEvent>, 'type'> & {
    type?: string;
    model?: string;
    session_id?: string;
    message?: { content?: Block[] | string };
  };
  try {
    event = JSON.parse(trimmed);
  } catch {
    return { logs: [clip(trimmed)] };
  }
  switch (event.type) {
    case 'system':
      if (event.subtype !== 'init') return { logs: [] };
      return { logs: [`claude: session started (model ${event.model ?? '?'})`], sessionId: event.session_id };
    case 'assistant':
    case 'user': {
      const content = event.message?.content;
      const blocks = Array.isArray(content) ? content : [];
      const logs: string[] = [];
      for (const b of blocks) {
        if (b.type === 'text' && b.text) logs.push(`assistant: ${clip(b.text)}`);
        else if (b.type === 'tool_use') logs.push(`tool: ${b.name}${toolTarget(b.input)}`);
        else if (b.type === 'tool_result')
          logs.push(
            `tool result${b.is_error ? ' (error)' : ''}: ${clip(typeof b.content === 'string' ? b.content : JSON.stringify(b.content ?? ''), 160)}`,
          );
      }
      return { logs };
    }
    case 'result':
      return {
        logs: [
          `claude: ${event.is_error ? 'ended with an error' : 'finished'} after ${event.num_turns ?? '?'} turns: ${clip(event.result ?? '')}`,
        ],
        result: event as ClaudeResultEvent,
      };
    default:
      return { logs: [] };
  }
}
