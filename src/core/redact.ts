/**
 * Secret redaction (README, Security): known secret values are replaced wherever they appear, and
 * common key shapes (sk-…, Bearer …, x-api-key: …, NAME_KEY=…, private-key blocks) are masked
 * even when unknown. Redaction works on parsed values ({@link redactValue}), never on serialized
 * JSON: a pattern that ran over JSON text could eat a closing quote and corrupt the document.
 */

import type { Config } from './config';
import { ledgerUrlSecrets } from './ledger-url';

/** The marker that replaces a secret. */
export const REDACTED = '[REDACTED]';

/**
 * Every secret a config holds (README, Security): the provider key, the fallback and admin
 * keys, the standalone adapter key, the MCP token, the team ledger's password, the team admin key and the password
 * inside its URL (both as written and decoded). The one list both the app's log redaction
 * and `doctor`'s output use; keys issued at run time are added by their holders.
 */
export function configSecrets(
  config: Pick<
    Config,
    | 'openaiApiKey'
    | 'fallbackApiKey'
    | 'adapterKey'
    | 'openaiAdminKey'
    | 'mcpToken'
    | 'ledgerPassword'
    | 'ledgerUrl'
    | 'teamAdminKey'
  >,
): (string | undefined)[] {
  return [
    config.openaiApiKey,
    config.fallbackApiKey,
    config.adapterKey,
    config.openaiAdminKey,
    config.mcpToken,
    config.ledgerPassword,
    config.teamAdminKey,
    ...ledgerUrlSecrets(config.ledgerUrl),
  ];
}

/** Characters a key value is made of: never a quote, a backslash or whitespace, so a match stays inside one JSON string literal. */
const V = String.raw`[^\s"'\\,;)}[\]]`;

const PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bsk-[A-Za-z0-9_-]{12,}/g,
  /\b(?:ghp|gho|ghu|ghs|ghr|github_pat|glpat|xox[abpr]|npm)_[A-Za-z0-9_-]{16,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{12,}/gi,
  /\b(x-api-key["']?\s*[:=]\s*["']?)[A-Za-z0-9._-]{12,}/gi,
  // NAME_KEY=value, NAME_TOKEN=value, NAME_SECRET=value, NAME_PASSWORD=value: env dumps, .env lines, logs. Upper-case
  // names and no space around `=` only, so source code the model must edit (`const API_KEY = process.env.X`) is left alone.
  new RegExp(String.raw`\b([A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)=["']?)${V}+`, 'g'),
  // the password of a URL's userinfo (scheme://user:password@host), e.g. a team ledger's postgres:// URL, however short
  /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"']*:)[^\s@/"']+(?=@)/gi,
];

/** Secrets worth matching: set, and at least 6 characters (shorter ones would mask ordinary text). */
function usable(secrets: readonly (string | undefined)[]): string[] {
  return [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6))].sort(
    (a, b) => b.length - a.length,
  );
}

/** Returns `text` with every secret in `secrets` (ignoring ones shorter than 6 chars) and every key-shaped token replaced by "[REDACTED]". */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  return redactUsable(text, usable(secrets));
}

/** {@link redact} with the secrets already through `usable` (redactValue sorts them once per value, not per string). */
function redactUsable(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  for (const p of PATTERNS)
    out = out.replace(p, (_m, prefix?: unknown) => `${typeof prefix === 'string' ? prefix : ''}${REDACTED}`);
  return out;
}

/**
 * A deep copy of `value` with {@link redact} applied to every string in it (object keys included);
 * numbers, booleans and null are kept, so the result is the same shape and serializes to valid
 * JSON. Cycles are not supported (request and result values are trees).
 */
export function redactValue<T>(value: T, secrets: readonly (string | undefined)[] = []): T {
  const known = usable(secrets);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactUsable(v, known);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactUsable(k, known), walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
