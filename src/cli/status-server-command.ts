import { createApp } from '../app';
import { cliConfig, intFlag } from './args';
import { shutdown, untilSignal } from './shutdown';
import { startStatusServer } from './status-server';

/**
 * `offload-worker status-server [--port 5555] [--host 127.0.0.1]`: answers `STATUS\n` with `TRUE`
 * or `FALSE` from the shared ledger's breaker (and polls the provider's costs every
 * BREAKER_POLL_MS when OPENAI_ADMIN_KEY is set). Loopback only: another host is refused (exit 2).
 * Runs until SIGINT/SIGTERM, then stops within 2 s (shutdown.ts).
 */
export async function runStatusServerCommand(args: string[]): Promise<number> {
  const signal = untilSignal();
  const hostAt = args.indexOf('--host');
  const host = hostAt >= 0 ? (args[hostAt + 1] ?? '') : '127.0.0.1';
  const port = intFlag(args, 'port', 5555);
  const app = await createApp(cliConfig(), {
    env: process.env,
    log: (line) => process.stderr.write(`offload: ${line}\n`),
  });
  let server;
  try {
    server = await startStatusServer({ host, port, answer: async () => (await app.breaker.status()).tripped });
  } catch (err) {
    await app.close();
    process.stderr.write(`offload-worker status-server: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  process.stderr.write(`offload: STATUS server on ${server.host}:${server.port}\n`);
  await signal;
  return shutdown([
    ['close the STATUS server', () => server.close()],
    ['close the app', () => app.close()],
  ]);
}
