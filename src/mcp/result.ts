import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { resultText } from '../core/results';

/** A tool result carrying `value` as pretty JSON text and as structuredContent. */
export function jsonResult(value: object): CallToolResult {
  return { content: [{ type: 'text', text: resultText(value) }], structuredContent: value as Record<string, unknown> };
}

/**
 * A job's tool result: jsonResult(value), plus — when the host gave a `jobLink` (ToolDeps) — a
 * `panel_link` field with the link that opens the job in VS Code's jobs panel (src/vscode/chat-link.ts).
 * It sits in the JSON, not in a text block of its own: VS Code hands a model only the
 * structuredContent of a result that has one, so only there can the model show it to the user.
 * Servers without `jobLink` (the stdio worker, `mcp --http`) return exactly jsonResult(value).
 */
export function jobResult<T extends { job_id: string }>(value: T, jobLink?: (jobId: string) => string): CallToolResult {
  return jsonResult(jobLink ? { ...value, panel_link: jobLink(value.job_id) } : value);
}
