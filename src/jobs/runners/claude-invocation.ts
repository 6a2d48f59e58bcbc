import type { Config } from '../../core/config';
import type { StartRequest } from '../../core/requests';

/** Variables the Claude Code child may inherit: nothing secret (no provider keys reach its Bash tool). */
const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'TZ', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'SYSTEMROOT', 'NODE_EXTRA_CA_CERTS'];

/**
 * The CLI's arguments: print mode, stream-json events for live logs, the Claude model name Claude
 * Code asks for (CLAUDE_CODE_MODEL; the adapter maps it to the gateway model), the permission mode
 * any further allowed folders, `--resume` for a revise pass, and the check commands as allowed Bash commands. Throws when bypassPermissions is asked for without
 * ALLOW_BYPASS_PERMISSIONS=1.
 */
export function claudeArgs(request: StartRequest, config: Config, extraDirs: readonly string[], resumeSessionId?: string): string[] {
  const mode = request.permission_mode ?? config.claudePermissionMode;
  if (mode === 'bypassPermissions' && !config.allowBypassPermissions) {
    throw new Error('permission_mode: bypassPermissions is blocked; set ALLOW_BYPASS_PERMISSIONS=1 (offload.allowBypassPermissions) to allow it');
  }
  const args = ['-p', request.prompt, '--output-format', 'stream-json', '--verbose', '--model', config.claudeCodeModel, '--permission-mode', mode];
  for (const dir of extraDirs) args.push('--add-dir', dir);
  if (resumeSessionId) args.push('--resume', resumeSessionId);
  // acceptEdits denies Bash ("This command requires approval"); the job's own check commands are
  // what the agent most needs to run, so exactly those are allowed (Claude Code 2.1.197, measured).
  const allowed = request.checks.map((c) => `Bash(${c.command})`);
  if (allowed.length) args.push('--allowedTools', ...allowed);
  return args;
}

/**
 * The child's environment: the inherited basics plus the adapter as ANTHROPIC_BASE_URL with the
 * job's own key, and the switches that keep the CLI offline and quiet (no telemetry, no updater).
 */
export function claudeEnv(base: Record<string, string | undefined>, adapterUrl: string, key: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) { const v = base[name]; if (v !== undefined) env[name] = v; }
  return {
    ...env,
    ANTHROPIC_BASE_URL: adapterUrl,
    ANTHROPIC_API_KEY: key,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CI: 'true',
  };
}
