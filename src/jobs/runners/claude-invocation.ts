import { childEnv } from '../../core/child-env';
import { checkAllowRules, claudeSettingsJson, permissionModeOf } from '../../core/claude-permissions';
import type { Config } from '../../core/config';
import type { StartRequest } from '../../core/requests';

/**
 * The CLI's arguments: print mode, stream-json events for live logs, the Claude model name Claude
 * Code asks for (CLAUDE_CODE_MODEL; the adapter maps it to the gateway model), the permission mode
 * any further allowed folders, `--resume` for a revise pass, the check commands as allowed Bash
 * commands (src/core/claude-permissions.ts; a command that cannot be a rule safely throws
 * InputError naming `checks[i].command`), and `--settings` with deny rules for secret files.
 * Throws InputError when bypassPermissions is asked for without ALLOW_BYPASS_PERMISSIONS=1 (permissionModeOf).
 */
export function claudeArgs(
  request: StartRequest,
  config: Config,
  extraDirs: readonly string[],
  resumeSessionId?: string,
): string[] {
  const mode = permissionModeOf(request.permission_mode, config);
  const args = [
    '-p',
    request.prompt,
    '--output-format',
    'stream-json',
    '--verbose',
    '--model',
    config.claudeCodeModel,
    '--permission-mode',
    mode,
  ];
  args.push('--settings', claudeSettingsJson(config.readSecretFiles));
  for (const dir of extraDirs) args.push('--add-dir', dir);
  if (resumeSessionId) args.push('--resume', resumeSessionId);
  // acceptEdits denies Bash ("This command requires approval"); the job's own check commands are
  // what the agent most needs to run, so exactly those are allowed (Claude Code 2.1.197, measured).
  const allowed = checkAllowRules(request.checks);
  if (allowed.length) args.push('--allowedTools', ...allowed);
  return args;
}

/**
 * The child's environment: the allow-listed basics of src/core/child-env.ts (plus the names of
 * OFFLOAD_CHILD_ENV, minus any variable holding a configured secret), the adapter as
 * ANTHROPIC_BASE_URL with the job's own key, and the switches that keep the CLI offline and
 * quiet (no telemetry, no updater).
 */
export function claudeEnv(
  base: Record<string, string | undefined>,
  adapterUrl: string,
  key: string,
  opts: { extraNames?: readonly string[]; secrets?: readonly (string | undefined)[] } = {},
): Record<string, string> {
  return childEnv(base, {
    ...opts,
    overrides: {
      ANTHROPIC_BASE_URL: adapterUrl,
      ANTHROPIC_API_KEY: key,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      CI: 'true',
    },
  });
}
