import { createApp } from '../app';
import { RunJobSchema } from '../core/requests';
import { shapeResult } from '../core/results';
import { cliConfig } from './args';

/**
 * `offload-worker smoke`: one tiny paid call (mini-worker, "reply OK", max_tokens 16) through the
 * configured gateway and the ledger, so a user can see a real call admitted, made and billed.
 * Prints the compact result; exit 0 when it completed.
 */
export async function runSmokeCommand(): Promise<number> {
  const app = await createApp(cliConfig(), {
    env: process.env,
    log: (line) => process.stderr.write(`offload: ${line}\n`),
  });
  try {
    const job = await app.jobs.runJob(
      RunJobSchema.parse({ agent: 'mini-worker', task: 'Reply with the single word OK.', caps: { max_tokens: 16 } }),
    );
    const result = shapeResult(job);
    process.stdout.write(
      `${JSON.stringify({ job_status: result.job_status, model: result.model, output: result.output, error: result.error, cost_usd: result.cost_usd, usage: result.usage }, null, 2)}\n`,
    );
    return job.status === 'completed' ? 0 : 1;
  } finally {
    await app.close();
  }
}
