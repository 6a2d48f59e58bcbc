import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A tool result carrying `value` as pretty JSON text and as structuredContent. */
export function jsonResult(value: object): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
}
