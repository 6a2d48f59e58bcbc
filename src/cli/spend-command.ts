import { createApp } from '../app';
import { cliConfig } from './args';

/** `offload-worker spend`: this month's spend from the shared ledger, as JSON. */
export async function runSpendCommand(): Promise<number> {
  const app = await createApp(cliConfig(), { env: process.env });
  try {
    process.stdout.write(`${JSON.stringify(await app.engine.spendStats(), null, 2)}\n`);
    return 0;
  } finally {
    await app.close();
  }
}
