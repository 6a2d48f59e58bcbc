/**
 * The team ledger's URL (issue 16), pure and without dependencies (the extension's activation
 * path loads it): which OFFLOAD_LEDGER values are URLs, what of the URL is secret, and how the
 * ledger is named where the config is shown. `OFFLOAD_LEDGER` (or `offload.ledgerUrl`) set to
 * `postgres://…` or `postgresql://…` selects the team ledger; a file path, or nothing, the local
 * sql.js file. The settings' schemas are in team-ledger-schema.ts.
 */

/** The fix named wherever something needs a team ledger and the configured one is a local file (member and team caps, the admin key, ledger import). */
export const TEAM_LEDGER_FIX =
  'set OFFLOAD_LEDGER=postgres://… (or the offload.ledgerUrl setting) to the PostgreSQL database every member shares';

/** `postgres:` and `postgresql:`, the schemes libpq and the `pg` driver accept for a connection URI. */
export const POSTGRES_SCHEMES = new Set(['postgres:', 'postgresql:']);

/** `user[:password]@` followed by no host: libpq's form for the default (or `?host=`) unix socket. */
const EMPTY_HOST = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@]*@)(?=[/?#]|$)/i;
/** Stands in for the empty host while parsing; never shown. */
const PLACEHOLDER_HOST = 'offload-empty-host.invalid';

/**
 * Parses a team ledger URL as WHATWG URL does, and also libpq's `postgresql://user:pw@/db?host=/socket`
 * (credentials with an empty host), which URL refuses: its host is parsed as a placeholder and
 * `emptyHost` is true. Throws TypeError for a value that is not a URL.
 */
export function parseLedgerUrl(value: string): { url: URL; emptyHost: boolean } {
  const emptyHost = EMPTY_HOST.test(value);
  return { url: new URL(emptyHost ? value.replace(EMPTY_HOST, `$1${PLACEHOLDER_HOST}`) : value), emptyHost };
}

/** True when an OFFLOAD_LEDGER value is a URL (scheme://…) rather than a file path: it then must be a PostgreSQL one. */
export function looksLikeUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/**
 * The secrets a team ledger URL carries: its password as written (percent-encoded) and decoded,
 * so redaction masks it in the URL and anywhere else. [] for no URL or no password.
 */
export function ledgerUrlSecrets(ledgerUrl: string | undefined): string[] {
  if (!ledgerUrl) return [];
  try {
    const { password } = parseLedgerUrl(ledgerUrl).url;
    if (!password) return [];
    const decoded = decodeURIComponent(password);
    return decoded === password ? [password] : [password, decoded];
  } catch {
    return [];
  }
}

/** The URL without its password, for display and for copied configs (the password comes from elsewhere). */
export function withoutPassword(ledgerUrl: string): string {
  try {
    const { url, emptyHost } = parseLedgerUrl(ledgerUrl);
    if (!url.password) return ledgerUrl;
    url.password = '';
    return emptyHost ? url.toString().replace(`@${PLACEHOLDER_HOST}`, '@') : url.toString();
  } catch {
    return '<invalid team ledger URL>';
  }
}

/** How the ledger is named in logs, doctor and status lines: the team ledger's URL without password, else the file. */
export function ledgerLabel(config: { ledgerUrl?: string; ledgerPath: string }): string {
  return config.ledgerUrl ? `team ledger ${withoutPassword(config.ledgerUrl)}` : config.ledgerPath;
}
