import assert from 'node:assert/strict';
import { DEFAULT_AGENT_MODELS } from '../../../src/core/agents';
import { forecastOneCall } from '../../../src/core/forecast';
import { PriceBook } from '../../../src/core/pricing';
import { classifyTask, routeTask, routingJson, type RouteInput } from '../../../src/core/routing';
import { DEFAULT_ROUTING_POLICY, TASK_CLASSES, type TaskClass } from '../../../src/core/routing-policy';

const KIB = 1024;

describe('classifyTask', () => {
  // [task, input files, input bytes, class]
  const table: Array<[string, number, number, TaskClass]> = [
    ['Add a license header to every file', 1, 2 * KIB, 'bulk'],
    ['Translate these UI strings to French', 1, 3 * KIB, 'bulk'],
    ['Add JSDoc types', 6, 20 * KIB, 'bulk'],
    ['Make these consistent', 1, 80 * KIB, 'bulk'],
    ['Format this file with Prettier defaults', 1, 4 * KIB, 'format'],
    ['Reformat the SQL so each clause starts a line', 1, 2 * KIB, 'format'],
    ['Fix the indentation in both files', 2, 3 * KIB, 'format'],
    ['Rename getUser to fetchUser everywhere', 3, 9 * KIB, 'rename'],
    ['Please rename the variable tmp to buffer in every file', 8, 90 * KIB, 'rename'],
    ['Write a commit message for this diff', 1, 6 * KIB, 'short-copy'],
    ['Suggest a tagline for the landing page', 0, 0, 'short-copy'],
    ['Say hello in Danish', 0, 0, 'short-copy'],
    ['Summarize this file', 1, 5 * KIB, 'summarize'],
    ['Give me a TL;DR of the incident log', 1, 40 * KIB, 'summarize'],
    ['Summarize the review comments', 1, 8 * KIB, 'summarize'],
    ['Refactor parse() into smaller functions', 1, 6 * KIB, 'refactor'],
    ['Extract a helper for the retry loop', 1, 4 * KIB, 'refactor'],
    ['Add error handling to the upload path', 2, 7 * KIB, 'refactor'],
    ['Review this patch for race conditions', 1, 10 * KIB, 'review'],
    ['Audit the auth module', 2, 12 * KIB, 'review'],
    ['Find the bugs in this parser', 1, 3 * KIB, 'review'],
    ['Plan the migration from REST to gRPC', 0, 0, 'plan'],
    ['Design a caching layer for the API and break it down into steps', 1, 5 * KIB, 'plan'],
    ['Propose an architecture for offline sync', 0, 0, 'plan'],
  ];
  for (const [task, inputFiles, inputBytes, expected] of table) {
    it(`"${task}" (${inputFiles} file(s), ${inputBytes / KIB} KiB) → ${expected}`, () => {
      const got = classifyTask({ task, inputFiles, inputBytes });
      assert.equal(got.class, expected, got.reason);
      assert.ok(got.reason.length > 0);
    });
  }

  it('covers every class with at least two rows', () => {
    for (const cls of TASK_CLASSES) assert.ok(table.filter((r) => r[3] === cls).length >= 2, cls);
  });

  it('names the keyword or the size rule that decided', () => {
    assert.match(classifyTask({ task: 'Review the summary', inputFiles: 1, inputBytes: 100 }).reason, /"review"/);
    assert.match(classifyTask({ task: 'Tidy up', inputFiles: 7, inputBytes: 100 }).reason, /7 file\(s\)/);
  });
});

describe('routeTask', () => {
  const prices = new PriceBook();
  const base: RouteInput = {
    task: 'x',
    inputFiles: 1,
    inputBytes: 4 * KIB,
    maxOutputTokens: 1000,
    agents: DEFAULT_AGENT_MODELS,
    policy: DEFAULT_ROUTING_POLICY,
    prices,
    capMicros: 250_000,
    remainingMicros: 25_000_000,
    dailyRemainingMicros: null,
  };
  const high = (model: string, bytes: number, out: number) => forecastOneCall(prices, model, bytes, out).highMicros;

  // [task, input bytes, output cap, cap µUSD, month left µUSD, day left µUSD, expected agent (null: refused)]
  const table: Array<[string, number, number, number, number, number | null, string | null]> = [
    ['Format this file', 4 * KIB, 1000, 250_000, 25_000_000, null, 'mini-worker'],
    ['Rename a to b', 200 * KIB, 8192, 250_000, 25_000_000, null, 'mini-worker'],
    ['Summarize this file', 4 * KIB, 1000, 250_000, 25_000_000, null, 'mini-worker'],
    ['Review this patch', 4 * KIB, 1000, 250_000, 25_000_000, null, 'balanced-worker'],
    ['Plan the rollout', 4 * KIB, 1000, 250_000, 25_000_000, null, 'premium-worker'],
    // gpt-4o's worst case for 200 KiB in + 8192 out is ~$0.60: over the $0.25 cap
    ['Review this patch', 200 * KIB, 8192, 250_000, 25_000_000, null, null],
    ['Review this patch', 200 * KIB, 8192, 1_000_000, 25_000_000, null, 'balanced-worker'],
    // budget left below the worst case refuses even under the cap
    ['Format this file', 4 * KIB, 1000, 250_000, 1_000, null, null],
    ['Format this file', 4 * KIB, 1000, 250_000, 25_000_000, 1_000, null],
  ];
  for (const [task, inputBytes, out, cap, month, day, expected] of table) {
    it(`"${task}", ${inputBytes / KIB} KiB in, ≤${out} out, cap $${cap / 1e6}, $${month / 1e6} left${day === null ? '' : `, $${day / 1e6} today`} → ${expected ?? 'refused'}`, () => {
      const d = routeTask({
        ...base,
        task,
        inputBytes,
        maxOutputTokens: out,
        capMicros: cap,
        remainingMicros: month,
        dailyRemainingMicros: day,
      });
      assert.equal(d.agent, expected, d.reason);
      if (expected) {
        assert.equal(d.model, DEFAULT_AGENT_MODELS[expected as keyof typeof DEFAULT_AGENT_MODELS]);
        assert.ok(high(d.model!, inputBytes, out) <= Math.min(cap, month, day ?? Infinity));
      } else {
        assert.equal(d.model, null);
        assert.match(d.reason, /^refused before it started/);
      }
    });
  }

  it('forecasts every allowed tier and picks the cheapest that fits, even when a pricier one is listed first', () => {
    const d = routeTask({
      ...base,
      task: 'Summarize this',
      policy: { ...DEFAULT_ROUTING_POLICY, summarize: ['balanced-worker', 'mini-worker'] },
    });
    assert.deepEqual(
      d.tiers.map((t) => t.agent),
      ['mini-worker', 'balanced-worker'],
    );
    assert.equal(d.agent, 'mini-worker');
    for (const t of d.tiers)
      assert.deepEqual(t.forecast, forecastOneCall(prices, t.model, base.inputBytes, base.maxOutputTokens));
  });

  it('moves to the next allowed tier when the cheapest does not fit (a pricier mini model)', () => {
    const priced = new PriceBook({ 'pricey-mini': { input_mtok: 100, output_mtok: 100 } });
    const d = routeTask({
      ...base,
      prices: priced,
      task: 'Summarize this',
      agents: { ...DEFAULT_AGENT_MODELS, 'mini-worker': 'pricey-mini' },
    });
    assert.equal(d.agent, 'balanced-worker', d.reason);
  });

  it('picks premium-worker (o1-mini) over balanced-worker (gpt-4o) when a class allows both: it is cheaper', () => {
    const d = routeTask({
      ...base,
      task: 'Review this',
      policy: { ...DEFAULT_ROUTING_POLICY, review: ['balanced-worker', 'premium-worker'] },
    });
    assert.equal(d.agent, 'premium-worker');
  });

  it('skips a tier whose model has no price, and says so when nothing is left', () => {
    const d = routeTask({
      ...base,
      task: 'Format this',
      agents: { ...DEFAULT_AGENT_MODELS, 'mini-worker': 'my-private-model' },
    });
    assert.equal(d.agent, null);
    assert.match(d.reason, /mini-worker \(my-private-model\) has no price/);
  });

  it('names the limit that refused: the cap, the month or the day, with the fix', () => {
    const big = { ...base, task: 'Review this', inputBytes: 200 * KIB, maxOutputTokens: 8192 };
    assert.match(routeTask(big).reason, /routing cap of \$0\.25 \(raise ROUTING_MAX_COST_USD/);
    assert.match(
      routeTask({ ...big, capMicros: 5_000_000, remainingMicros: 100_000 }).reason,
      /month's budget \(raise MONTHLY_BUDGET/,
    );
    assert.match(
      routeTask({ ...big, capMicros: 5_000_000, dailyRemainingMicros: 100_000 }).reason,
      /today's budget \(raise DAILY_BUDGET/,
    );
  });

  it('gives a compact routing object with USD forecasts', () => {
    const j = routingJson(routeTask({ ...base, task: 'Format this file' }));
    assert.equal(j.class, 'format');
    assert.equal(j.agent, 'mini-worker');
    assert.equal(j.cap_usd, 0.25);
    assert.equal(j.forecasts.length, 1);
    assert.equal(j.forecasts[0]!.high_usd, high('gpt-4o-mini', 4 * KIB, 1000) / 1e6);
    assert.match(
      j.reason,
      /^format \(the task says "format"\); allowed: mini-worker; mini-worker is the cheapest within the \$0\.25 cap/,
    );
  });
});
