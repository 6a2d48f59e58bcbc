import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { resultText } from '../core/results';

/** A tool result carrying `value` as pretty JSON text and as structuredContent. */
export function jsonResult(value: object): CallToolResult {
  return { content: [{ type: 'text', text: resultText(value) }], structuredContent: value as Record<string, unknown> };
}
