import { createApp } from '../app';
import { cliConfig } from './args';

/**
 * `offload-worker spend`: this month's spend from the shared ledger, as JSON (get_spend_stats'
 * shape: with `thresholds`, `thresholds_crossed` and the breaker). Each warning threshold crossed
 * is also said on stderr.
 */
export async function runSpendCommand(): Promise<number> {
  const app = await createApp(cliConfig(), { env: process.env });
  try {
    const stats = await app.engine.spendStats();
    process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
    for (const t of stats.thresholds_crossed)
      process.stderr.write(
        `offload: warning: ${stats.percentage_used}% of the monthly budget is spent (threshold ${t}%)\n`,
      );
    return 0;
  } finally {
    await app.close();
  }
}
