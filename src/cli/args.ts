import { homedir } from 'node:os';
import { configFromEnv, type Config } from '../core/config';
import { InputError } from '../core/errors';
import { resolveKeyCommands } from './key-commands';

/**
 * The CLI's config: the environment variables of DESIGN.md, with `NAME_COMMAND` keys run once
 * (key-commands.ts). Throws ConfigError naming the variable.
 */
export function cliConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return configFromEnv(resolveKeyCommands(env), { cwd: process.cwd(), home: homedir(), platform: process.platform });
}

/** Value of `--name N` as an integer port/number, or `fallback`. Throws InputError naming the flag. */
export function intFlag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const raw = args[i + 1];
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new InputError(`--${name}`, `expects a whole number 0-65535, got ${JSON.stringify(raw)}`);
  return n;
}

export function hasFlag(args: readonly string[], name: string): boolean {
  return args.includes(`--${name}`);
}

/** A usage error: ours (InputError) or node:util parseArgs' (an unknown flag, a missing value). */
export function isUsageError(err: unknown): err is Error {
  return (
    err instanceof InputError ||
    (err instanceof TypeError && /^ERR_PARSE_ARGS_/.test(String((err as NodeJS.ErrnoException).code)))
  );
}
