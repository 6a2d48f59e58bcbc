import { strict as assert } from 'node:assert';
import type { JobRecord } from '../../../src/core/jobs';
import { JobRowSchema, JobDetailSchema, SpendSchema } from '../../../src/shared/protocol';
import { toDetail, toRow, toSpend } from '../../../src/vscode/panel/model';

const usage = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 } as unknown as JobRecord['usage'];
const job = (over: Partial<JobRecord>): JobRecord => ({
  id: 'j1', kind: 'claude-code', status: 'completed', agent: null, model: 'gpt-4o-mini', request: { prompt: 'Fix add' },
  result: null, error: null, createdAt: Date.UTC(2026, 11, 2, 10), updatedAt: Date.UTC(2026, 11, 2, 10, 0, 5), maxCostMicros: null, costMicros: 4_200, usage, ...over,
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
    const result = { job_status: 'completed', changed_files: ['src/a.js'], diff: '--- a', workspace: { after_tree: 't', snapshot: { tree: 's' } }, check_runs: [{ line: 'tests: passed', passed: true, output_tail: 'ok' }] };
    const d = toDetail(job({ result }), Date.now(), ['l1'], { low_usd: 0.001, high_usd: 0.01 });
    JobDetailSchema.parse(d);
    assert.deepEqual(d.changed_files, ['src/a.js']);
    assert.equal(d.checks.length, 1);
    assert.equal((d.result as Record<string, unknown>).workspace, undefined);
    assert.deepEqual(d.can, { cancel: false, apply: true, discard: true, retry: true });
    const undone = toDetail(job({ result: { ...result, undo: { state: 'applied', at: 'x' } } }), Date.now(), [], null);
    assert.equal(undone.can.apply, false);
  });

  it('spend sums this month\'s jobs per kind and their savings', () => {
    const stats = { month: '2026-12', current_month: 1, total_budget: 25, remaining: 24, percentage_used: 4, today: 1, daily_budget: null, reserved: 0, reservations_in_flight: 0, by_model: {} };
    const s = toSpend(stats, [{ day: '2026-12-01', cost_usd: 0 }], [job({ result: { savings: { saved_usd: 0.5 } } }), job({ id: 'old', createdAt: Date.UTC(2026, 10, 1) })], [80, 95], { state: 'closed', reason: null, detail: null, since: null });
    SpendSchema.parse(s);
    assert.deepEqual(s.by_kind, { 'claude-code': { cost_usd: 0.0042, jobs: 1 } });
    assert.equal(s.savings.saved_usd, 0.5);
  });
});
