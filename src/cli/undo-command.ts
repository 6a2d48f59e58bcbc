import { createApp } from '../app';
import { InputError } from '../core/errors';
import { UndoRefusedError } from '../core/undo';
import { cliConfig, hasFlag } from './args';

/**
 * `offload-worker apply <job_id>` and `offload-worker discard <job_id> [--force]`: the MCP tools'
 * operations (src/jobs/undo.ts) on the shared ledger, so a job started anywhere can be undone from
 * a shell. Prints the outcome as JSON; exit 0 done, 1 refused (the conflicting files on stderr),
 * 2 bad input (no such job, still running, already applied or discarded).
 */
export function undoCommand(op: 'apply' | 'discard'): (args: string[]) => Promise<number> {
  return async (args) => {
    const jobId = args.find((a) => !a.startsWith('--'));
    if (!jobId) {
      process.stderr.write(
        `offload-worker ${op}: give the job_id, e.g. offload-worker ${op} 1b2c…${op === 'discard' ? ' [--force]' : ''}\n`,
      );
      return 2;
    }
    const app = await createApp(cliConfig(), {
      env: process.env,
      pollCosts: false,
      log: (line) => process.stderr.write(`offload: ${line}\n`),
    });
    try {
      const outcome =
        op === 'apply' ? await app.jobs.apply(jobId) : await app.jobs.discard(jobId, hasFlag(args, 'force'));
      process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof UndoRefusedError) && !(err instanceof InputError)) throw err;
      process.stderr.write(`offload-worker ${op}: ${err.message}\n`);
      return err instanceof UndoRefusedError ? 1 : 2;
    } finally {
      await app.close();
    }
  };
}
