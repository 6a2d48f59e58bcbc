import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { UndoRefusedError } from '../../core/undo';
import { jsonResult } from '../result';

/**
 * Runs an apply/discard and shapes its answer: the outcome, or — when it was refused for
 * conflicting files — a tool error whose JSON names them (`conflicting_files`); other errors
 * (InputError: unknown job, still running, already undone) are thrown on as tool errors.
 */
export async function undoResult(jobId: string, op: () => Promise<object>): Promise<CallToolResult> {
  try {
    return jsonResult(await op());
  } catch (err) {
    if (!(err instanceof UndoRefusedError)) throw err;
    return {
      ...jsonResult({ job_id: jobId, refused: err.op, conflicting_files: err.files, error: err.message }),
      isError: true,
    };
  }
}
