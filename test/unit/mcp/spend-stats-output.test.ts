import assert from 'node:assert/strict';
import { z } from 'zod';
import type { SpendStats } from '../../../src/ledger/ledger';
import { openMemoryLedger } from '../../../src/ledger/sqlite-ledger';
import { SpendStatsOutputShape } from '../../../src/mcp/tools/spend-stats-output';

const Output = z.strictObject(SpendStatsOutputShape);

// Compile-time: the schema's type and the ledger's SpendStats are the same shape, both ways.
const toOutput = (s: SpendStats): z.infer<typeof Output> => s;
const toStats = (o: z.infer<typeof Output>): SpendStats => o;

describe("get_spend_stats' output schema", () => {
  it("accepts a real ledger's spend stats, every field declared (strict)", async () => {
    const ledger = await openMemoryLedger({ caps: { monthlyMicros: 1_000_000, dailyMicros: 500_000 } });
    await ledger.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    await ledger.settle((await ledger.reserve({ jobId: 'j', model: 'm', micros: 9_000 })).id, {
      model: 'm',
      costMicros: 1_234,
      status: 'ok',
      usage: { input_tokens: 1, output_tokens: 2, cache_read_tokens: 0 },
    });
    await ledger.reserve({ jobId: 'j', model: 'm', micros: 5_000 });
    const stats = await ledger.spendStats();
    await ledger.close();
    assert.deepEqual(Output.parse(stats), stats);
    assert.deepEqual(toStats(toOutput(stats)), stats);
  });

  it('refuses stats without the member part', () => {
    const result = Output.safeParse({ month: '2026-12' });
    assert.equal(result.success, false);
    assert.ok(result.error?.issues.some((i) => i.path[0] === 'member'));
  });
});
