import { once } from 'node:events';
import { createApp } from '../app';
import { serveMcpHttp } from '../mcp/transports/http';
import { serveStdio } from '../mcp/transports/stdio';
import { cliConfig, hasFlag, intFlag } from './args';
import { shutdown, untilSignal } from './shutdown';
import { ledgerLabel } from '../core/ledger-url';

/**
 * `offload-worker mcp --http [--port N]`: the same tools over Streamable HTTP on 127.0.0.1 with a
 * fresh bearer token (OFFLOAD_MCP_TOKEN or OFFLOAD_MCP_TOKEN_COMMAND when set), printed with the URL. Runs until
 * SIGINT/SIGTERM, then stops within 2 s (shutdown.ts): sessions and listener closed, running jobs cancelled.
 */
async function runHttp(args: string[]): Promise<number> {
  const signal = untilSignal();
  const port = intFlag(args, 'port', 0);
  const config = cliConfig();
  const generated: { token?: string } = {}; // a generated token is a secret too: redacted in logs and results, never given to a child
  const app = await createApp(config, {
    env: process.env,
    log: (line) => process.stderr.write(`offload: ${line}\n`),
    secrets: () => [generated.token],
    adoptWaiting: true,
  });
  const http = await serveMcpHttp({ createServer: () => app.createMcpServer(), port, token: config.mcpToken });
  generated.token = http.token;
  process.stdout.write(`MCP (Streamable HTTP) listening on ${http.url}\nAuthorization: Bearer ${http.token}\n`);
  process.stderr.write(`offload: ledger ${ledgerLabel(config)}\n`);
  await signal;
  return shutdown([
    ['close the MCP HTTP server', () => http.close()],
    ['close the app', () => app.close()],
  ]);
}

/**
 * `offload-worker mcp`: the MCP tools over stdio for Codex, Claude Code, Cursor. stdout carries
 * only MCP messages; logs go to stderr. Runs until stdin closes or SIGINT/SIGTERM, then cancels
 * running jobs (killing their process trees: the Claude Code CLI runs detached and would outlive
 * a worker that just exits). With `--http` see runHttp.
 */
export async function runMcpCommand(args: string[]): Promise<number> {
  if (hasFlag(args, 'http')) return runHttp(args);
  const config = cliConfig();
  const app = await createApp(config, {
    env: process.env,
    log: (line) => process.stderr.write(`offload: ${line}\n`),
    adoptWaiting: true,
  });
  const { server } = app.createMcpServer();
  const { closed } = await serveStdio(server);
  process.stderr.write(`offload: MCP server on stdio; ledger ${ledgerLabel(config)}\n`);
  const signalled = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]).then(() => true);
  if (await Promise.race([closed.then(() => false), signalled])) await server.close();
  await app.close();
  return 0;
}
