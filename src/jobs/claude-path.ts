import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Finds the Claude Code executable: the configured path (CLAUDE_CODE_PATH / offload.claudePath),
 * else the native binary of an installed @anthropic-ai/claude-code package (its bin/claude.exe,
 * which works without the package's postinstall), else `claude` on PATH.
 */
export function findClaude(configured: string | undefined, from: string = __filename): string {
  if (configured) return configured;
  try {
    const pkg = createRequire(from).resolve('@anthropic-ai/claude-code/package.json');
    const bin = join(dirname(pkg), 'bin', 'claude.exe');
    if (existsSync(bin)) return bin;
  } catch {
    // not installed next to us
  }
  return 'claude';
}
