import { createHash } from 'node:crypto';

/** OpenAI rejects function names longer than 64 characters; Anthropic (and MCP tool names like mcp__server__tool) allow 128. */
export const OPENAI_TOOL_NAME_MAX = 64;

/**
 * Shortens a tool name to fit OpenAI's 64-character limit, deterministically: the first 55
 * characters, `_`, and 8 hex digits of the SHA-256 of the full name. Names that fit are unchanged.
 */
export function shortenToolName(name: string): string {
  if (name.length <= OPENAI_TOOL_NAME_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, OPENAI_TOOL_NAME_MAX - 9)}_${hash}`;
}

/**
 * The two-way mapping of the tool names of one request: `toUpstream` when translating the
 * request, `fromUpstream` when translating the response back (a name the model made up, or one
 * that was never shortened, maps to itself).
 */
export class ToolNameMap {
  private readonly originals = new Map<string, string>();

  /** Upstream (≤ 64 characters) name of `name`; remembers the pair. */
  toUpstream(name: string): string {
    const short = shortenToolName(name);
    if (short !== name) this.originals.set(short, name);
    return short;
  }

  /** The client's name for an upstream tool name. */
  fromUpstream(name: string): string {
    return this.originals.get(name) ?? name;
  }

  /** Shortened → original pairs, for logs and tests. */
  entries(): Array<[string, string]> {
    return [...this.originals.entries()];
  }
}
