/**
 * The chat link: the line a job's result carries when VS Code's own MCP server (AppHost.mcpServer,
 * the one VS Code agent mode calls) returns it, so the user can open the job in the jobs panel.
 * Pure (no `vscode` import) so the unit tests can measure it.
 */

/** The command a chat link runs; it takes the job id as its one argument (commands/panel.ts, openJob). */
export const OPEN_JOB_COMMAND = 'offload.openJob';

/**
 * `[Open job](command:offload.openJob?%22<job id>%22)`: a markdown command link, 78 bytes for a
 * UUID job id. The query is the URI-encoded JSON of the argument; VS Code's command opener
 * (`openerService.ts`, CommandOpener) parses it as JSON and wraps a value that is not an array
 * into the one-argument list, so a bare JSON string is the shortest form of `[jobId]`.
 */
export function chatJobLink(jobId: string): string {
  return `[Open job](command:${OPEN_JOB_COMMAND}?${encodeURIComponent(JSON.stringify(jobId))})`;
}
