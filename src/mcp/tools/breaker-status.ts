import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { noArgsSchema } from '../../core/requests';
import type { ToolDeps } from '../deps';
import { jsonResult } from '../result';

/**
 * `breaker_status`: the circuit breaker as every process sees it — state (closed, open,
 * half-open), tripped (the STATUS port's TRUE/FALSE), reason, detail, since/until (ISO times),
 * what would reset it, and this process's last poll of the provider's costs. Read-only: agents
 * cannot reset the breaker; a human does (`offload-worker status --reset`).
 */
export function registerBreakerStatusTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'breaker_status',
    {
      title: 'Circuit breaker status',
      description:
        "Whether Offload's circuit breaker admits paid work: state (closed/open/half-open), why it opened, since when, " +
        'and what would reset it. While it is open every paid job is refused.',
      inputSchema: noArgsSchema('breaker_status'),
      annotations: { readOnlyHint: true },
    },
    async () => {
      if (!deps.breaker)
        return jsonResult({ state: 'unknown', tripped: false, reset: 'this host runs without a breaker' });
      return jsonResult(await deps.breaker.status());
    },
  );
}
