/**
 * Bad input from a caller (an MCP tool argument, a command argument). The message names the field
 * and the fix; MCP tools return it as a tool error, and nothing is written before it is thrown.
 */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
