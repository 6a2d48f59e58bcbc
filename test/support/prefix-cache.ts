/**
 * Prefix-cache accounting for the scripted gateway (stand-in for the model provider): what a
 * provider with an automatic prompt cache would bill as cached. The prompt is serialized as
 * `JSON.stringify([tools ?? null, messages ?? null])` (tools first, as OpenAI lays them out),
 * and the cached part is the longest common prefix, in bytes, with any of the same API key's last
 * {@link CACHE_DEPTH} requests (a provider caches every recent prefix, so a side request such as
 * Claude Code's title query between two agent turns does not evict the conversation). Tokens are
 * estimated as bytes / 4, the gateway's default prompt_tokens estimate.
 */

/** How many earlier prompts per API key the cache remembers. */
export const CACHE_DEPTH = 16;

/** The serialized prompt of a chat-completions body: `[tools, messages]` as JSON (a string). */
export function promptKey(body: { tools?: unknown; messages?: unknown } | undefined): string {
  return JSON.stringify([body?.tools ?? null, body?.messages ?? null]);
}

/** Length in bytes (UTF-8) of the longest common prefix of `a` and `b`; 0 when either is empty. */
export function commonPrefixBytes(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  const n = Math.min(x.length, y.length);
  let i = 0;
  while (i < n && x[i] === y[i]) i++;
  return i;
}

/**
 * Cached tokens for a request whose serialized prompt is `current`, after `previous` (the same
 * key's earlier prompts, newest last; empty for the first request): floor(longest common prefix
 * bytes / 4), capped at `promptTokens` (tokens). Returns 0 for a first request.
 */
export function prefixCachedTokens(previous: readonly string[], current: string, promptTokens: number): number {
  const bytes = previous.reduce((best, p) => Math.max(best, commonPrefixBytes(p, current)), 0);
  return Math.min(promptTokens, Math.floor(bytes / 4));
}

/** Remembers `prompt` in `history` (mutated), keeping the newest {@link CACHE_DEPTH}. */
export function rememberPrompt(history: string[], prompt: string): void {
  history.push(prompt);
  if (history.length > CACHE_DEPTH) history.shift();
}
