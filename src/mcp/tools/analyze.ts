import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AnalyzeSchema } from '../../core/requests';
import { shapeResult } from '../../core/results';
import type { ToolDeps } from '../deps';
import { jobResult } from '../result';

/** `analyze`: a read-only question about files or folders, one cheap call, no agent loop, no edits. */
export function registerAnalyzeTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'analyze',
    {
      title: 'Analyze files (read-only)',
      description:
        'Ask a question about files or folders (inside the sandbox) and get a compact answer from a cheap model, ' +
        'instead of reading them yourself. Read-only: nothing is run or changed. Folders are read recursively (dependency and build folders skipped).',
      inputSchema: AnalyzeSchema,
    },
    async (args) => {
      const job = await deps.jobs.analyze(AnalyzeSchema.parse(args));
      return jobResult(shapeResult(job), deps.jobLink);
    },
  );
}
