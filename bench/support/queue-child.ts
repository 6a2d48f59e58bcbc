/**
 * The queue bench's measuring process (bench/queue.ts starts it with `--conditions=import`, which
 * the app's execa import needs under tsx): runs the 1,000 jobs and prints one JSON line
 * `{ wallMs, completed, inFlight }`.
 */
import { startAppFixture } from '../../test/support/app-fixture';

const JOBS = Number(process.argv[2] ?? 1000);
const LATENCY_MS = Number(process.argv[3] ?? 50);
const CONCURRENCY = Number(process.argv[4] ?? 8);

async function main(): Promise<void> {
  const fx = await startAppFixture(
    () => ({ text: 'ok', usage: { prompt_tokens: 40, completion_tokens: 2 }, delayMs: LATENCY_MS }),
    {
      maxConcurrency: CONCURRENCY,
      monthlyBudgetUsd: 1000,
    },
  );
  try {
    // Warm-up: the first calls load the tokenizer and open the gateway's connections.
    await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, i) => fx.app.jobs.runJob({ agent: 'mini-worker', task: `warm ${i}` })),
    );
    const started = performance.now();
    const jobs = await Promise.all(
      Array.from({ length: JOBS }, (_, i) => fx.app.jobs.runJob({ agent: 'mini-worker', task: `job ${i}` })),
    );
    const wallMs = performance.now() - started;
    const stats = await fx.app.ledger.spendStats();
    const completed = jobs.filter((j) => j.status === 'completed').length;
    process.stdout.write(`${JSON.stringify({ wallMs, completed, inFlight: stats.reservations_in_flight })}\n`);
  } finally {
    await fx.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
