import { strict as assert } from 'node:assert';
import type { JobRecord } from '../../../src/core/jobs';
import { JobRowSchema, JobDetailSchema, SpendSchema } from '../../../src/shared/protocol';
import { toDetail, toRow, toSpend, type SpendStats } from '../../../src/vscode/panel/model';

const usage = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 } as unknown as JobRecord['usage'];
const job = (over: Partial<JobRecord>): JobRecord => ({
  id: 'j1',
  kind: 'claude-code',
  status: 'completed',
  agent: null,
  model: 'gpt-4o-mini',
  request: { prompt: 'Fix add' },
  result: null,
  error: null,
  createdAt: Date.UTC(2026, 11, 2, 10),
  updatedAt: Date.UTC(2026, 11, 2, 10, 0, 5),
  maxCostMicros: null,
  costMicros: 4_200,
  usage,
  member: null,
  machine: null,
  ...over,
});

describe('panel model (JobRecord → protocol shapes)', () => {
  it('maps a row: USD from µUSD, duration to the end or now, the prompt as title, undo mark', () => {
    const row = toRow(job({ result: { undo: { state: 'discarded', at: 'x' } } }), Date.UTC(2026, 11, 2, 11));
    assert.equal(row.cost_usd, 0.0042);
    assert.equal(row.duration_ms, 5_000);
    assert.equal(row.title, 'Fix add');
    assert.equal(row.undo, 'discarded');
    JobRowSchema.parse(row);
    const live = toRow(job({ status: 'running' }), Date.UTC(2026, 11, 2, 10, 1));
    assert.equal(live.duration_ms, 60_000);
  });

  it('a detail hides workspace and check_runs from the result, lists checks and allows apply/discard only when undoable', () => {
    const result = {
      job_status: 'completed',
      changed_files: ['src/a.js'],
      diff: '--- a',
      workspace: { after_tree: 't', snapshot: { tree: 's' } },
      check_runs: [{ line: 'tests: passed', passed: true, output_tail: 'ok' }],
    };
    const d = toDetail(job({ result }), Date.now(), ['l1'], { low_usd: 0.001, high_usd: 0.01 });
    JobDetailSchema.parse(d);
    assert.deepEqual(d.changed_files, ['src/a.js']);
    assert.equal(d.checks.length, 1);
    assert.equal((d.result as Record<string, unknown>).workspace, undefined);
    assert.deepEqual(d.can, { cancel: false, apply: true, discard: true, retry: true });
    const undone = toDetail(job({ result: { ...result, undo: { state: 'applied', at: 'x' } } }), Date.now(), [], null);
    assert.equal(undone.can.apply, false);
  });

  it("spend carries get_spend_stats' figures (per model without token counts, per kind, savings, thresholds, the breaker with its time) and the days", () => {
    const stats: SpendStats = {
      month: '2026-12',
      current_month: 1.5,
      total_budget: 25,
      remaining: 23.5,
      percentage_used: 6,
      today: 1,
      daily_budget: null,
      reserved: 0.2,
      reservations_in_flight: 1,
      by_model: {
        'gpt-4o-mini': { cost_usd: 1.5, calls: 3, input_tokens: 10, output_tokens: 5, cache_read_tokens: 0 },
      },
      by_kind: { 'claude-code': { cost_usd: 1.5, jobs: 2 } },
      jobs: { total: 2, running: 0 },
      savings: { jobs: 2, saved_usd: 0.5, caller_tokens_avoided: 900, transcript_bytes: 4000, returned_bytes: 400 },
      thresholds: [80, 95],
      thresholds_crossed: [],
      breaker: { state: 'open', reason: 'manual', detail: 'tripped by hand', since: '2026-12-02T10:00:00.000Z' },
      member: { name: 'ann@host', current_month: 1.5, today: 1, reserved: 0.2, monthly_cap: null, remaining: null },
      by_member: { 'ann@host': { cost_usd: 1.5, calls: 3 } },
    };
    const days = [
      { day: '2026-12-01', cost_usd: 0.5 },
      { day: '2026-12-02', cost_usd: 1 },
    ];
    const s = SpendSchema.parse(toSpend(stats, days));
    assert.deepEqual(s.by_model, { 'gpt-4o-mini': { cost_usd: 1.5, calls: 3 } });
    assert.deepEqual(s.by_kind, stats.by_kind);
    assert.deepEqual(s.savings, { jobs: 2, saved_usd: 0.5, caller_tokens_avoided: 900 });
    assert.deepEqual(s.breaker, stats.breaker);
    assert.deepEqual(s.by_day, days);
    assert.deepEqual(s.thresholds, [80, 95]);
    assert.equal(
      toSpend({ ...stats, breaker: { ...stats.breaker, state: 'weird' } }, days).breaker.state,
      'open',
      'an unknown breaker state shows as open',
    );
  });
});
