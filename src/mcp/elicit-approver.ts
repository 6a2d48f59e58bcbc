import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Approver } from '../core/approval';

/**
 * An Approver that asks the human through MCP elicitation (`elicitation/create`, form mode with
 * one boolean `approve` field), or undefined when the connected client did not declare the
 * `elicitation` capability (run_job then uses the host's approver, or rejects the job saying how
 * to approve). Only an `accept` with approve=true is a yes; decline, cancel and errors are a no.
 */
export function elicitationApprover(server: McpServer): Approver | undefined {
  if (!server.server.getClientCapabilities()?.elicitation) return undefined;
  return async (question) => {
    const answer = await server.server.elicitInput({
      message: question,
      requestedSchema: {
        type: 'object',
        properties: {
          approve: { type: 'boolean', title: 'Approve this paid job', description: 'Yes runs it and bills the ledger' },
        },
        required: ['approve'],
      },
    });
    return answer.action === 'accept' && answer.content?.approve === true;
  };
}
