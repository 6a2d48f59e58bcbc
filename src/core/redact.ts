/**
 * Secret redaction for logs, metrics and tool output (DESIGN.md, security): known secret values
 * are replaced wherever they appear, and common key shapes (sk-…, Bearer …, x-api-key: …) are
 * masked even when unknown.
 */
const PATTERNS: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{12,}\b/g,
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{12,}/gi,
  /\b(x-api-key["']?\s*[:=]\s*["']?)[A-Za-z0-9._-]{12,}/gi,
  /\b((?:OPENAI|ONEAPI|FALLBACK|ANTHROPIC|OFFLOAD_ADAPTER)_(?:API_)?KEY=)\S+/g,
];

/** Returns `text` with every secret in `secrets` (ignoring ones shorter than 6 chars) and every key-shaped token replaced by "[REDACTED]". */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join('[REDACTED]');
  for (const p of PATTERNS) out = out.replace(p, (_m, prefix?: string) => `${typeof prefix === 'string' ? prefix : ''}[REDACTED]`);
  return out;
}
