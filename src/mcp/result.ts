import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { resultText } from '../core/results';

/** A tool result carrying `value` as pretty JSON text and as structuredContent. */
export function jsonResult(value: object): CallToolResult {
  return { content: [{ type: 'text', text: resultText(value) }], structuredContent: value as Record<string, unknown> };
}

/**
 * A job's tool result: jsonResult(value), plus — when the host gave a `jobLink` (ToolDeps) — one
 * more text block holding the link's line (VS Code: a markdown command link that opens the job in
 * the jobs panel). The JSON text and structuredContent stay byte for byte what jsonResult gives,
 * so the compact result, the savings receipt and clients without a link are unchanged.
 */
export function jobResult<T extends { job_id: string }>(value: T, jobLink?: (jobId: string) => string): CallToolResult {
  const result = jsonResult(value);
  if (jobLink) result.content.push({ type: 'text', text: jobLink(value.job_id) });
  return result;
}
