import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

/** The built worker; `npm test` builds before mocha runs. */
export const WORKER = resolve(__dirname, '../../dist/worker.js');

/** Connects the real MCP SDK client to `node dist/worker.js mcp` over stdio with `env` added; `pid` is the worker's. */
export async function connectWorker(
  env: Record<string, string>,
): Promise<{ client: Client; stderr: () => string; pid: number | null }> {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build first`);
  let stderr = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WORKER, 'mcp'],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'offload-stdio-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, pid: transport.pid };
}
