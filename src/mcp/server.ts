import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from './deps';
import { registerTools, TOOLS_VERSION } from './tools';

/**
 * Builds Offload's MCP server with every tool registered. Knows no transport: hosts connect it
 * to stdio or Streamable HTTP. `cleanup` closes the server.
 */
export function createMcpServer(
  deps: ToolDeps,
  version = '0.1.0',
): { server: McpServer; cleanup: () => Promise<void> } {
  const server = new McpServer(
    { name: 'offload', title: 'Offload', version: `${version}+tools.${TOOLS_VERSION}` },
    {
      capabilities: { tools: {} },
      instructions:
        'Offload hands bulk coding work to cheap models under a hard budget. Use run_job for one-shot tasks, start/wait for agent jobs, get_spend_stats for the budget.',
    },
  );
  registerTools(server, deps);
  return { server, cleanup: () => server.close() };
}
