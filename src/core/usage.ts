/**
 * Token usage of one model call, in tokens. Follows the Anthropic convention:
 * `input_tokens` excludes cache reads; `cache_read_tokens` are counted once, at the cached price.
 * (The OpenAI wire format reports prompt_tokens *including* cached tokens; the adapter converts.)
 */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
}

export const ZERO_USAGE: Usage = Object.freeze({ input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 });

/**
 * Usage from an OpenAI chat-completions `usage` object. Cached tokens come from
 * `prompt_tokens_details.cached_tokens` (OpenAI) or `prompt_cache_hit_tokens` (DeepSeek).
 * Missing fields count as 0: numbers are never invented.
 */
export function usageFromOpenAI(
  u:
    | {
        prompt_tokens?: number | null;
        completion_tokens?: number | null;
        prompt_tokens_details?: { cached_tokens?: number | null } | null;
        prompt_cache_hit_tokens?: number | null;
      }
    | null
    | undefined,
): Usage {
  if (!u) return { ...ZERO_USAGE };
  const prompt = u.prompt_tokens ?? 0;
  const cached = Math.min(prompt, u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens ?? 0);
  return { input_tokens: prompt - cached, output_tokens: u.completion_tokens ?? 0, cache_read_tokens: cached };
}
