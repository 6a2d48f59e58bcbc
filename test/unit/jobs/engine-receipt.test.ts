import { strict as assert } from 'node:assert';
import { BudgetExceededError } from '../../../src/core/budget';
import type { JobResult } from '../../../src/core/results';
import { JobEngine } from '../../../src/jobs/engine';
import type { RunOutcome, Runner } from '../../../src/jobs/runner';
import { openMemoryLedger } from '../../../src/ledger/sqlite-ledger';

/** A runner that spends `micros` on one call of its job, then ends with `outcome` (or throws it). */
function spendingRunner(
  ledger: Awaited<ReturnType<typeof openMemoryLedger>>,
  micros: number,
  outcome: RunOutcome | Error,
): Runner<unknown> {
  return {
    kind: 'llm',
    async run(ctx) {
      const r = await ledger.reserve({ jobId: ctx.job.id, model: 'm', micros });
      await ledger.settle(r.id, {
        model: 'm',
        costMicros: micros,
        status: 'ok',
        usage: { input_tokens: 100, output_tokens: 10, cache_read_tokens: 0 },
      });
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
}

describe('JobEngine forecasts and receipts', () => {
  async function setup(micros: number, outcome: RunOutcome | Error) {
    const ledger = await openMemoryLedger({ caps: { monthlyMicros: 10_000_000, dailyMicros: null } });
    const seen: Array<{ shaped: JobResult; transcriptBytes: number }> = [];
    const engine = new JobEngine(ledger, {
      concurrency: 1,
      receipt: (shaped, job, transcriptBytes) => {
        seen.push({ shaped, transcriptBytes });
        return { cost_micros_seen: job.costMicros, transcript_bytes: transcriptBytes };
      },
    });
    engine.register(spendingRunner(ledger, micros, outcome));
    return { engine, seen };
  }

  it('stores the forecast at submit, keeps it in the terminal result, and adds the receipt from the final record', async () => {
    const { engine, seen } = await setup(1_234, {
      status: 'completed',
      result: { output: 'done' },
      transcriptBytes: 5_000,
    });
    const job = await engine.submit('llm', {}, { model: 'm', forecast: { lowMicros: 1_000, highMicros: 9_000 } });
    assert.deepEqual(job.result, { forecast: { low_usd: 0.001, high_usd: 0.009 } }, 'the forecast is readable at once');
    const done = await engine.wait(job.id, 5_000);
    assert.deepEqual(done.result, {
      forecast: { low_usd: 0.001, high_usd: 0.009 },
      output: 'done',
      savings: { cost_micros_seen: 1_234, transcript_bytes: 5_000 },
    });
    assert.equal(seen.length, 1);
    assert.deepEqual(
      [seen[0]!.shaped.job_status, seen[0]!.shaped.output, seen[0]!.shaped.cost_usd],
      ['completed', 'done', 0.001234],
      'shaped as stored',
    );
  });

  it('says what a job stopped by a cap spent', async () => {
    const { engine } = await setup(250_000, new BudgetExceededError('job', 50_000, 300_000, 300_000));
    const job = await engine.submit('llm', {}, { model: 'm' });
    const done = await engine.wait(job.id, 5_000);
    assert.equal(done.status, 'budget_exceeded');
    assert.match(done.error ?? '', /^job budget exceeded: .*; the job was stopped after spending \$0\.25$/);
    assert.deepEqual(done.result, { savings: { cost_micros_seen: 250_000, transcript_bytes: 0 } });
  });

  it('gives a job refused before it starts its forecast and a zero receipt, and never runs it', async () => {
    const { engine, seen } = await setup(1, { status: 'completed' });
    const job = await engine.reject(
      'llm',
      {},
      { model: 'm', forecast: { lowMicros: 5, highMicros: 6 } },
      'refused before it started: …',
      'budget_exceeded',
    );
    assert.equal(job.status, 'budget_exceeded');
    assert.deepEqual(job.result, {
      forecast: { low_usd: 0.000005, high_usd: 0.000006 },
      savings: { cost_micros_seen: 0, transcript_bytes: 0 },
    });
    assert.equal(seen[0]!.shaped.error, 'refused before it started: …');
  });
});
