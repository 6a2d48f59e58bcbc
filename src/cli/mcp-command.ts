import { createApp } from '../app';
import { serveStdio } from '../mcp/transports/stdio';
import { cliConfig, hasFlag } from './args';

/**
 * `offload-worker mcp`: the MCP tools over stdio for Codex, Claude Code, Cursor. stdout carries
 * only MCP messages; logs go to stderr. Runs until stdin closes, then cancels running jobs.
 */
export async function runMcpCommand(args: string[]): Promise<number> {
  if (hasFlag(args, 'http')) {
    process.stderr.write('offload-worker mcp --http: Streamable HTTP arrives with the VS Code host (issue #3); use stdio for now\n');
    return 2;
  }
  const config = cliConfig();
  const app = await createApp(config, { env: process.env, log: (line) => process.stderr.write(`offload: ${line}\n`) });
  const { server } = app.createMcpServer();
  const { closed } = await serveStdio(server);
  process.stderr.write(`offload: MCP server on stdio; ledger ${config.ledgerPath}\n`);
  await closed;
  await app.close();
  return 0;
}
