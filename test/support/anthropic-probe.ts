/**
 * Anthropic-Messages probe: a tiny loopback server that records every HTTP request the real
 * Claude Code CLI makes and answers `POST /v1/messages` from a decider, as a well-formed
 * Anthropic SSE stream (or JSON when `stream` is false). Used to learn Claude Code's wire
 * behaviour (see docs/notes-claude-code.md); it is a research tool, not Offload's adapter.
 *
 * Run by hand: `npx tsx test/support/anthropic-probe.ts [logfile.jsonl]` prints `{"url":…}` and
 * serves the built-in demo decider ({@link demoDecider}) until killed.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync } from 'node:fs';

/** One request as seen by the probe; `body` is parsed JSON or the raw text. */
export interface ProbeRequest {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: unknown;
  at: number;
}

/** One content block the probe answers with (Anthropic `content_block` shapes). */
export type ProbeBlock = { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: unknown };

/** One decision: content blocks and a stop_reason, or an HTTP error in Anthropic's error shape. */
export type Decision =
  | { blocks: ProbeBlock[]; stop_reason: 'end_turn' | 'tool_use' }
  | { error: { status: number; type: string; message: string; retryAfter?: string } };

/** Decides the answer to one `POST /v1/messages` body. */
export type Decider = (body: any, index: number) => Decision; // eslint-disable-line @typescript-eslint/no-explicit-any

function sse(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Renders a decision as the Anthropic Messages SSE event sequence. */
export function anthropicStream(model: string, id: string, d: Extract<Decision, { blocks: unknown }>): string {
  let out = sse('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 1000, output_tokens: 1 },
    },
  });
  d.blocks.forEach((b, index) => {
    if (b.type === 'text') {
      out += sse('content_block_start', { index, content_block: { type: 'text', text: '' } });
      out += sse('content_block_delta', { index, delta: { type: 'text_delta', text: b.text } });
    } else {
      out += sse('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: `toolu_${id}_${index}`, name: b.name, input: {} },
      });
      out += sse('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) },
      });
    }
    out += sse('content_block_stop', { index });
  });
  out += sse('message_delta', {
    delta: { stop_reason: d.stop_reason, stop_sequence: null },
    usage: { output_tokens: 50 },
  });
  return out + sse('message_stop', {});
}

/** Starts the probe on 127.0.0.1 (free port). Every request is passed to `record`. */
export async function startAnthropicProbe(
  decide: Decider,
  record: (r: ProbeRequest) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    const parts: Buffer[] = [];
    for await (const p of req) parts.push(p as Buffer);
    const raw = Buffer.concat(parts).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      /* keep raw */
    }
    record({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() });
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ input_tokens: Math.ceil(raw.length / 4) }));
    } else if (req.method === 'POST' && path === '/v1/messages') {
      const b = body as { model: string; stream?: boolean };
      const d = decide(b, n);
      const id = `msg_probe_${n++}`;
      if ('error' in d) {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          ...(d.error.retryAfter ? { 'retry-after': d.error.retryAfter } : {}),
        };
        res
          .writeHead(d.error.status, headers)
          .end(JSON.stringify({ type: 'error', error: { type: d.error.type, message: d.error.message } }));
        return;
      }
      if (b.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(anthropicStream(b.model, id, d));
      } else {
        const content = d.blocks.map((x, i) =>
          x.type === 'text' ? x : { type: 'tool_use', id: `toolu_${id}_${i}`, name: x.name, input: x.input },
        );
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id,
            type: 'message',
            role: 'assistant',
            model: b.model,
            content,
            stop_reason: d.stop_reason,
            stop_sequence: null,
            usage: { input_tokens: 1000, output_tokens: 50 },
          }),
        );
      }
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Counts `tool_result` blocks across the conversation: how far the agent loop has come. */
function toolResults(body: { messages?: { content: unknown }[] }): number {
  return (body.messages ?? [])
    .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
    .filter((c: { type?: string }) => c.type === 'tool_result').length;
}

/** The fix-the-failing-test flow in Anthropic terms: Read → Edit → Bash → final text. Background (no tools) calls get a short text. */
export const demoDecider: Decider = (body) => {
  if (!body.tools?.length) return { blocks: [{ type: 'text', text: 'Fix failing test' }], stop_reason: 'end_turn' };
  const cwd =
    /Primary working directory: (.+)/
      .exec(JSON.stringify(body.system ?? '') + JSON.stringify(body.messages))?.[1]
      ?.split('\\n')[0] ?? '.';
  const file = `${cwd}/src/math.js`;
  const steps: ProbeBlock[] = [
    { type: 'tool_use', name: 'Read', input: { file_path: file } },
    {
      type: 'tool_use',
      name: 'Edit',
      input: { file_path: file, old_string: 'return a - b', new_string: 'return a + b' },
    },
    { type: 'tool_use', name: 'Bash', input: { command: 'npm test', description: 'Run the tests' } },
  ];
  const step = steps[toolResults(body)];
  return step
    ? { blocks: [step], stop_reason: 'tool_use' }
    : { blocks: [{ type: 'text', text: 'Fixed add() in src/math.js; tests pass.' }], stop_reason: 'end_turn' };
};

if (process.argv[1]?.endsWith('anthropic-probe.ts')) {
  const logFile = process.argv[2];
  startAnthropicProbe(demoDecider, (r) => {
    if (logFile) appendFileSync(logFile, JSON.stringify(r) + '\n');
  }).then(
    ({ url }) => console.log(JSON.stringify({ url })),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
