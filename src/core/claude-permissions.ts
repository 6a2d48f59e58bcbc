/**
 * Claude Code permission rules built from a `start` request (README, Security). A check command
 * becomes an allow rule `Bash(<command>)`; Claude Code's rule syntax has no escape for its own
 * delimiters, so a command holding one (`(`, `)`, `,`, a wildcard `*`, a line break or another
 * control character) could close the rule and open others (`true), Bash, Bash(true` would allow
 * every Bash command). Such a command is refused, naming the field; everything else is passed
 * verbatim. The deny rules for secret files come from src/core/secret-files.ts.
 */
import type { Config, PermissionMode } from './config';
import { InputError } from './errors';
import { secretFileDenyRules } from './secret-files';

/** Characters that cannot appear inside `Bash(…)` without changing what the rule means. */
const UNSAFE = /[(),*\u0000-\u001f\u007f]/;

/**
 * The permission mode a `start` job runs with: the request's `permission_mode`, else the
 * configured default (CLAUDE_PERMISSION_MODE). The one bypassPermissions rule: it needs
 * ALLOW_BYPASS_PERMISSIONS=1 (`offload.allowBypassPermissions`), else InputError naming
 * `permission_mode`, thrown before anything is reserved.
 */
export function permissionModeOf(
  requested: PermissionMode | undefined,
  config: Pick<Config, 'claudePermissionMode' | 'allowBypassPermissions'>,
): PermissionMode {
  const mode = requested ?? config.claudePermissionMode;
  if (mode === 'bypassPermissions' && !config.allowBypassPermissions) {
    throw new InputError('permission_mode', 'bypassPermissions is blocked; set ALLOW_BYPASS_PERMISSIONS=1 to allow it');
  }
  return mode;
}

/** `Bash(<command>)` for one check command. Throws InputError naming `field` for a command that cannot be expressed safely. */
export function bashAllowRule(command: string, field: string): string {
  const bad = UNSAFE.exec(command);
  if (bad) {
    const shown =
      bad[0] < ' ' || bad[0] === '\u007f'
        ? `control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`
        : `"${bad[0]}"`;
    throw new InputError(
      field,
      `holds ${shown}, which Claude Code's permission rules cannot express safely; put the command in a script (e.g. ./scripts/check.sh) and name that`,
    );
  }
  if (command.trim() === '') throw new InputError(field, 'is empty; give the command to run, e.g. "npm test"');
  return `Bash(${command})`;
}

/** The allow rules of a job's checks, each validated as `checks[i].command`. */
export function checkAllowRules(checks: readonly { command: string }[]): string[] {
  return checks.map((c, i) => bashAllowRule(c.command, `checks[${i}].command`));
}

/**
 * The `--settings` JSON a Claude Code job starts with: permission deny rules for every secret
 * file (unless `readSecretFiles`), so its Read/Edit tools refuse `.env`, keys and credential files.
 */
export function claudeSettingsJson(readSecretFiles: boolean): string {
  return JSON.stringify({ permissions: { deny: readSecretFiles ? [] : secretFileDenyRules() } });
}
