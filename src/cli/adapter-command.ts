import { randomBytes } from 'node:crypto';
import { createApp } from '../app';
import { cliConfig, intFlag } from './args';
import { shutdown, untilSignal } from './shutdown';

/**
 * `offload-worker adapter --port N`: the Anthropic→OpenAI adapter alone, for running Claude Code
 * by hand (ANTHROPIC_BASE_URL=http://127.0.0.1:N). Clients must send OFFLOAD_ADAPTER_KEY (printed
 * when generated). Spend is metered to one ledger job, "adapter session". On SIGINT/SIGTERM it stops
 * within 2 s (shutdown.ts): in-flight calls are aborted and settled, the session job completed.
 */
export async function runAdapterCommand(args: string[]): Promise<number> {
  const signal = untilSignal();
  const port = intFlag(args, 'port', 0);
  const config = cliConfig();
  const app = await createApp(config, { env: process.env, log: (line) => process.stderr.write(`offload: ${line}\n`) });
  const key = config.adapterKey ?? randomBytes(24).toString('hex');
  const { url, jobId } = await app.serveAdapterSession(key, port);
  process.stdout.write(`adapter listening on ${url} (ledger job ${jobId})\n`);
  if (!config.adapterKey) process.stdout.write(`OFFLOAD_ADAPTER_KEY=${key}\n`);
  await signal;
  return shutdown([
    ['complete the session job', () => app.ledger.updateJob(jobId, { status: 'completed' })], // its spend stays on this job
    ['close the app', () => app.close()],
  ]);
}
