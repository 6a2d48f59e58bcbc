import { randomBytes } from 'node:crypto';
import { createApp } from '../app';
import { cliConfig, intFlag } from './args';

/**
 * `offload-worker adapter --port N`: the Anthropic→OpenAI adapter alone, for running Claude Code
 * by hand (ANTHROPIC_BASE_URL=http://127.0.0.1:N). Clients must send OFFLOAD_ADAPTER_KEY (printed
 * when generated). Spend is metered to one ledger job, "adapter session".
 */
export async function runAdapterCommand(args: string[]): Promise<number> {
  const port = intFlag(args, 'port', 0);
  const config = cliConfig();
  const app = await createApp(config, { env: process.env, log: (line) => process.stderr.write(`offload: ${line}\n`) });
  const key = config.adapterKey ?? randomBytes(24).toString('hex');
  const { url, jobId } = await app.serveAdapterSession(key, port);
  process.stdout.write(`adapter listening on ${url} (ledger job ${jobId})\n`);
  if (!config.adapterKey) process.stdout.write(`OFFLOAD_ADAPTER_KEY=${key}\n`);
  await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
  await app.ledger.updateJob(jobId, { status: 'completed' }); // the session ended normally: its spend stays on this job
  await app.close();
  return 0;
}
