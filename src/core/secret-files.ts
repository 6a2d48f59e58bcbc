/**
 * The secret-file rule (README, Security): files that hold credentials are never read for a model
 * (`analyze`, `run_job input_refs`, folder collection) and are denied to Claude Code jobs through
 * their permission rules, unless OFFLOAD_READ_SECRET_FILES=1. One list, gitignore syntax, matched
 * with the `ignore` library; `.npmrc`/`.pypirc` are refused whole (whether one holds a token is
 * not worth guessing).
 */
import ignore from 'ignore';
import { InputError } from './errors';

/** The patterns, gitignore syntax, relative to any folder. Negations re-allow templates. */
export const SECRET_FILE_PATTERNS: readonly string[] = [
  '.env',
  '.env.*',
  '*.env',
  '.envrc',
  '!.env.example',
  '!.env.sample',
  '!.env.template',
  '*.pem',
  '*.key',
  '*.p12',
  '*.pfx',
  '*.jks',
  '*.keystore',
  '*.kdbx',
  '*.ppk',
  'id_rsa*',
  'id_dsa*',
  'id_ecdsa*',
  'id_ed25519*',
  '!*.pub',
  '.npmrc',
  '.pypirc',
  '.netrc',
  '_netrc',
  '.git-credentials',
  '.pgpass',
  '.htpasswd',
  '.ssh/',
  '.gnupg/',
  '**/.aws/credentials',
  '**/.docker/config.json',
  'credentials.json',
  'service-account*.json',
];

const matcher = ignore().add([...SECRET_FILE_PATTERNS]);

/**
 * True when `relPath` (relative, `/`-separated; a folder ends with `/`) names a secret file or
 * lies in a secret folder (`.ssh/`, `.gnupg/`). Only the path's own segments are looked at, so
 * pass it relative to the sandbox root or the folder being collected.
 */
export function isSecretFile(relPath: string): boolean {
  const rel = relPath
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '');
  if (!rel || rel === '.' || rel.startsWith('../')) return false;
  return matcher.ignores(rel);
}

/**
 * Throws InputError naming `field` when `relPath` is a secret file or folder (it is checked both
 * ways, since a caller's path does not say which it is); `allow` (OFFLOAD_READ_SECRET_FILES) turns the rule off.
 */
export function assertNotSecretFile(relPath: string, field: string, allow = false): void {
  if (!allow && (isSecretFile(relPath) || isSecretFile(`${relPath.replace(/[\\/]+$/, '')}/`))) {
    throw new InputError(
      field,
      `${relPath} is a secret or credential file (.env, keys, .npmrc, …); Offload never sends it to a model. Set OFFLOAD_READ_SECRET_FILES=1 to allow it`,
    );
  }
}

/**
 * Claude Code permission rules denying every secret file to the Read and Edit tools, both under
 * the job's folder (`./**` form) and anywhere (`//**` form, absolute): e.g. `Read(./**\/.env)`,
 * `Read(//**\/.env)`. Negated patterns have no deny form and are left out (stricter).
 */
export function secretFileDenyRules(): string[] {
  const globs = SECRET_FILE_PATTERNS.filter((p) => !p.startsWith('!'))
    .map((p) => (p.startsWith('**/') ? p : `**/${p}`))
    .map((g) => (g.endsWith('/') ? `${g}**` : g));
  return ['Read', 'Edit'].flatMap((tool) => globs.flatMap((g) => [`${tool}(./${g})`, `${tool}(//${g})`]));
}
