/**
 * The one environment rule for child processes (README, Security): check commands and the Claude
 * Code child see only an allow-list of harmless variables (PATH, HOME, locale, temp, terminal,
 * proxy/CA settings) plus the names the user allows with OFFLOAD_CHILD_ENV. Nothing else of the
 * host's environment is passed on, and a variable whose value is a configured secret is dropped
 * even when its name is allowed, so provider keys, the admin key, the fallback key, the MCP token
 * and adapter keys never reach a child (nor, through it, a model or a log).
 */

/** Names every child may inherit. `LC_*` variables are allowed by prefix. */
export const CHILD_ENV_ALLOWED: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TERM',
  'COLORTERM',
  'NO_COLOR',
  'TMPDIR',
  'TMP',
  'TEMP',
  'TZ',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CACHE_HOME',
  'XDG_RUNTIME_DIR',
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'WINDIR',
  'COMSPEC',
  'PATHEXT',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'PROGRAMDATA',
  'PROGRAMFILES',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/**
 * The environment of a child: the allowed names of `base` (CHILD_ENV_ALLOWED, `LC_*`, and
 * `extraNames` from OFFLOAD_CHILD_ENV), minus any variable whose value contains one of `secrets`
 * (secrets shorter than 6 characters are ignored), plus `overrides` (set last, never filtered:
 * the caller's own switches such as the job's adapter URL).
 */
export function childEnv(
  base: Record<string, string | undefined>,
  opts: {
    extraNames?: readonly string[];
    secrets?: readonly (string | undefined)[];
    overrides?: Record<string, string>;
  } = {},
): Record<string, string> {
  const allowed = new Set([...CHILD_ENV_ALLOWED, ...(opts.extraNames ?? [])]);
  const secrets = (opts.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 6);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || !(allowed.has(name) || name.startsWith('LC_'))) continue;
    if (secrets.some((s) => value.includes(s))) continue;
    env[name] = value;
  }
  return { ...env, ...(opts.overrides ?? {}) };
}
