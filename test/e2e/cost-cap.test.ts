import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CLAUDE_CODE_FIRST_REQUEST_TOKENS } from '../../src/core/forecast';
import { promptTokensUpperBound } from '../../src/core/token-bound';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { toolJson } from '../support/app-fixture';
import { cwdFromRequest } from '../support/demo-script';
import { startAndWait, withDemoWorker } from '../support/demo-worker';
import type { RecordedRequest, Reply } from '../support/scripted-gateway';

const claude = resolve('node_modules/.bin/claude');
/** Each tool-call turn reports this many prompt tokens: at $1 per million input tokens, $0.05 a turn. */
const TURN_TOKENS = 50_000;
const CAP_USD = 0.3;

interface Msg {
  role: string;
  content?: unknown;
}

/**
 * A runaway model: it never stops calling tools (Read the same file, turn after turn). With a
 * $0.30 cap, $0.05 settled per turn and a first-request input bound of ~115k tokens ($0.115 at
 * $1/Mtok, output free), the adapter admits four turns (3 × 0.05 + 0.12 ≤ 0.30) and refuses the
 * fifth (4 × 0.05 + 0.12 > 0.30).
 */
function runaway(req: RecordedRequest): Reply {
  if (!req.body.tools?.length) return { text: '{"title":"Loop"}', usage: { prompt_tokens: 10, completion_tokens: 5 } };
  const turns = (req.body.messages as Msg[]).filter((m) => m.role === 'tool').length;
  const file = `${cwdFromRequest(req.body) ?? '.'}/src/math.js`;
  return {
    tool_calls: [{ name: 'Read', arguments: { file_path: file, offset: 1 + (turns % 3) } }],
    usage: { prompt_tokens: TURN_TOKENS, completion_tokens: 20 },
  };
}

describe('@real-cli end to end: a runaway Claude Code job stopped mid-loop by its default cost cap', function () {
  this.timeout(180_000);
  before(function () {
    assert.ok(
      existsSync(claude),
      'the real Claude Code CLI is missing from node_modules/.bin: run npm install (@anthropic-ai/claude-code is a devDependency)',
    );
  });

  it('answers several tool-call turns, refuses the call that would pass AGENT_JOB_MAX_COST_USD, ends budget_exceeded with what it spent', () =>
    withDemoWorker(
      runaway,
      { AGENT_JOB_MAX_COST_USD: String(CAP_USD), OFFLOAD_PRICES: '{"gpt-4o-mini":{"input_mtok":1,"output_mtok":0}}' },
      async ({ client, gateway, repo }) => {
        // No max_cost_usd: the default cap applies.
        const result = await startAndWait(client, { prompt: 'Keep reading src/math.js.', allowed_dirs: [repo] });
        assert.equal(result.job_status, 'budget_exceeded', JSON.stringify(result));
        assert.match(
          result.error,
          /^job budget exceeded: \$0\.10 of \$0\.30 remains, this call needs up to \$0\.1\d+; the job was stopped after spending \$0\.20$/,
        );
        assert.equal(result.forecast.high_usd, CAP_USD);

        const looping = gateway.requests.filter((r) => r.body.tools?.length);
        // The start forecast's floor (core/forecast.ts) must stay under the real first request's input bound, or a refusal could be wrong.
        const firstBound = promptTokensUpperBound(looping[0]!.body);
        assert.ok(
          firstBound >= CLAUDE_CODE_FIRST_REQUEST_TOKENS,
          `first request bound ${firstBound} < floor ${CLAUDE_CODE_FIRST_REQUEST_TOKENS}`,
        );
        assert.equal(looping.length, 4, 'four tool-call turns answered before the cap refused the fifth');
        const results = looping
          .at(-1)!
          .body.messages.filter((m: Msg) => m.role === 'tool')
          .map((m: Msg) => String(m.content));
        assert.ok(
          results.length >= 2 && results.every((t: string) => /add/.test(t) && !/tool_use_error/.test(t)),
          'every Read before the cap succeeded',
        );

        const spent = (looping.length * TURN_TOKENS) / 1e6;
        assert.ok(
          Math.abs(result.cost_usd - spent) < 1e-3,
          `cost reported ${result.cost_usd}, gateway usage × price ${spent}`,
        );
        assert.ok(result.cost_usd <= CAP_USD);
        assert.equal(result.savings.cost_usd, result.cost_usd);
        assert.ok(result.savings.transcript_bytes > 100_000, 'the transcript counts the request bodies the CLI sent');

        const stats = toolJson(await client.callTool({ name: 'get_spend_stats', arguments: {} }));
        assert.ok(stats.current_month <= CAP_USD && stats.current_month === result.cost_usd, JSON.stringify(stats));
        assert.equal(stats.reservations_in_flight, 0);
        await client.close();
        const ledger = await openLedger(join(dirname(repo), 'ledger.sqlite'), {
          caps: { monthlyMicros: 25_000_000, dailyMicros: null },
        });
        try {
          const job = await ledger.getJob(result.job_id);
          assert.deepEqual([job?.status, job?.maxCostMicros], ['budget_exceeded', CAP_USD * 1e6]);
          assert.ok(job!.costMicros <= job!.maxCostMicros!);
        } finally {
          await ledger.close?.();
        }
      },
    ));
});
