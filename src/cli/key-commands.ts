/**
 * Standalone worker keys from a command (README, "Keys without plain text"): for each key
 * variable NAME of KEY_VARIABLES, `NAME_COMMAND` (e.g. `OPENAI_API_KEY_COMMAND="pass show
 * openai/api-key"`) is run once at start-up through the shell and its trimmed stdout becomes NAME.
 * A set NAME wins over its command. A command that fails, times out or prints nothing stops
 * start-up with an error naming the variable and never its output.
 */
import { execaSync } from 'execa';
import { ConfigError } from '../core/config';

/** The key variables that may come from a command. */
export const KEY_VARIABLES = [
  'OPENAI_API_KEY',
  'ONEAPI_API_KEY',
  'FALLBACK_API_KEY',
  'OPENAI_ADMIN_KEY',
  'OFFLOAD_ADAPTER_KEY',
  'OFFLOAD_MCP_TOKEN',
  'OFFLOAD_LEDGER_PASSWORD', // the team ledger's (OFFLOAD_LEDGER=postgres://…)
  'OFFLOAD_TEAM_ADMIN_KEY', // sets the team ledger's caps (ledger/postgres/admin.ts)
] as const;

/** How long one key command may run, ms. */
export const KEY_COMMAND_TIMEOUT_MS = 30_000;

/**
 * `env` with every `NAME_COMMAND` of KEY_VARIABLES replaced by NAME (its output). Commands run
 * with this process's environment, stdin closed, stderr passed through to the user's terminal.
 * Throws ConfigError naming `NAME_COMMAND` (exit code or cause, never stdout).
 */
export function resolveKeyCommands(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of KEY_VARIABLES) {
    const variable = `${name}_COMMAND`;
    const command = env[variable];
    delete out[variable];
    if (!command || env[name]) continue;
    const r = execaSync(command, {
      shell: true,
      env,
      stdin: 'ignore',
      stderr: 'inherit',
      reject: false,
      timeout: KEY_COMMAND_TIMEOUT_MS,
      stripFinalNewline: false,
    });
    const key = typeof r.stdout === 'string' ? r.stdout.trim() : '';
    if (r.timedOut)
      throw new ConfigError(
        `${variable}: the command did not finish within ${KEY_COMMAND_TIMEOUT_MS} ms; check that it runs without a prompt`,
      );
    if (r.failed)
      throw new ConfigError(
        `${variable}: the command failed (${r.exitCode !== undefined ? `exit ${r.exitCode}` : (r.signal ?? 'could not start')}); run it by hand to see why`,
      );
    if (!key) throw new ConfigError(`${variable}: the command printed nothing; it must print the key on stdout`);
    out[name] = key;
  }
  return out;
}
