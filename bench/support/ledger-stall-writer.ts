/**
 * The other process of the ledger stall benchmark (bench/ledger-stall.ts): it shares the ledger
 * file and, on each stdin line, writes to it so the benchmark's process must catch up.
 *   append <n>   n paid calls (reserve + settle): n × 2 journal lines to follow
 *   compact      one paid call through a ledger that folds the journal after every write: a new snapshot to reload
 * Answers "ok" on stdout after each command.
 */
import { createInterface } from 'node:readline';
import { openLedger } from '../../src/ledger/sqlite-ledger';

const file = process.argv[2];
if (!file) throw new Error('usage: ledger-stall-writer <ledger file>');
const caps = { monthlyMicros: 1e12, dailyMicros: null };
const SETTLE = {
  model: 'gpt-4o-mini',
  usage: { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 },
  costMicros: 210,
  status: 'ok',
};

async function main(): Promise<void> {
  const plain = await openLedger(file as string, { caps });
  const compactor = await openLedger(file as string, { caps, journalMaxLines: 1 });
  const job = await plain.createJob({ id: `writer-${process.pid}`, kind: 'llm', model: 'gpt-4o-mini', request: {} });
  const call = async (l: typeof plain) =>
    l.settle((await l.reserve({ jobId: job.id, model: 'gpt-4o-mini', micros: 5000 })).id, SETTLE);
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, n] = line.split(' ');
    if (cmd === 'append') for (let i = 0; i < Number(n); i++) await call(plain);
    else if (cmd === 'compact') await call(compactor);
    process.stdout.write('ok\n');
  }
  await Promise.all([plain.close(), compactor.close()]);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
