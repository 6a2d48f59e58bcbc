import { strict as assert } from 'node:assert';
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createLedgerMeter } from '../../src/adapter/ledger-meter';
import type { AttemptMetrics } from '../../src/adapter/metrics';
import { startAdapterServer } from '../../src/adapter/server';
import { createUpstream } from '../../src/adapter/upstream';
import { createDemoRepo, testsPass } from '../../src/cli/demo-repo';
import { PriceBook } from '../../src/core/pricing';
import { usageFromOpenAI } from '../../src/core/usage';
import type { Ledger, SettleInput } from '../../src/ledger/ledger';
import { openMemoryLedger } from '../../src/ledger/sqlite-ledger';
import { startScriptedGateway, type Reply, type Script } from '../support/scripted-gateway';

const run = promisify(execFile);
const claude = resolve('node_modules/.bin/claude');
const PER_JOB_TOKEN_LIMIT = 4096;
const prices = new PriceBook({ 'gw-model': { input_mtok: 0.5, output_mtok: 1.5 } });

interface Msg {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: Array<{ id: string; function: { name: string } }>;
  reasoning_content?: string;
}

const failed = (t: string) => /<tool_use_error>|requires approval|haven't granted|Exit code [1-9]/.test(t);

/**
 * The cheap model's side: turn 1 reads two files in parallel (with reasoning), turn 2 edits,
 * turn 3 runs the tests with Bash, turn 4 answers. A failed tool result ends with a text naming it.
 */
const script: Script = (req): Reply => {
  const messages: Msg[] = req.body.messages;
  const results = messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
  const usage = {
    prompt_tokens: 1000 + 100 * results.length,
    completion_tokens: 40,
    cached_tokens: results.length > 0 ? 800 : 0,
  };
  const bad = results.find(failed);
  if (bad) return { text: `A tool failed: ${bad.slice(0, 200)}`, usage };
  switch (results.length) {
    case 0:
      return {
        reasoning: 'Read the code and its test together.',
        usage,
        tool_calls: [
          { name: 'Read', arguments: { file_path: 'src/math.js' } },
          { name: 'Read', arguments: { file_path: 'test/math.test.js' } },
        ],
      };
    case 2:
      return {
        tool_calls: [
          {
            name: 'Edit',
            arguments: { file_path: 'src/math.js', old_string: 'return a - b;', new_string: 'return a + b;' },
          },
        ],
        usage,
      };
    case 3:
      return {
        tool_calls: [{ name: 'Bash', arguments: { command: 'npm test', description: 'Run the tests' } }],
        usage,
      };
    default:
      return { text: 'Fixed add(); npm test passes.', usage };
  }
};

/** Wraps a ledger to record which job each settled reservation belonged to (one model_calls row each). */
function recordingLedger(inner: Ledger) {
  const jobOf = new Map<string, string>();
  const rows: Array<SettleInput & { jobId: string }> = [];
  const ledger: Ledger = Object.create(inner);
  ledger.reserve = async (req) => {
    const r = await inner.reserve(req);
    jobOf.set(r.id, req.jobId);
    return r;
  };
  ledger.settle = async (id, input) => {
    await inner.settle(id, input);
    rows.push({ ...input, jobId: jobOf.get(id) ?? '?' });
  };
  return { ledger, rows };
}

describe('@real-cli end to end: the real Claude Code CLI, multi-turn, through the adapter', function () {
  this.timeout(120_000);
  before(function () {
    assert.ok(
      existsSync(claude),
      'the real Claude Code CLI is missing from node_modules/.bin: run npm install (@anthropic-ai/claude-code is a devDependency)',
    );
  });

  it('reads two files in parallel, edits, runs the test with Bash; each request translated, clamped, renamed back and metered to the job', async () => {
    const repo = createDemoRepo();
    const configDir = mkdtempSync(join(tmpdir(), 'offload-claude-config-'));
    const gateway = await startScriptedGateway({ script });
    const base = await openMemoryLedger({ caps: { monthlyMicros: 10_000_000, dailyMicros: null } });
    await base.createJob({ id: 'job-mt', kind: 'claude-code', model: 'gw-model', request: {}, status: 'running' });
    await base.createJob({ id: 'job-other', kind: 'claude-code', model: 'gw-model', request: {}, status: 'running' });
    const { ledger, rows } = recordingLedger(base);
    const meter = createLedgerMeter(ledger, prices);
    meter.register({ jobId: 'job-other', model: 'gw-model' });
    const key = meter.register({ jobId: 'job-mt', model: 'gw-model' });
    const metrics: AttemptMetrics[] = [];
    const adapter = await startAdapterServer({
      meter,
      upstream: createUpstream({ primary: { baseURL: gateway.url, apiKey: 'gw' } }),
      perJobTokenLimit: PER_JOB_TOKEN_LIMIT,
      metrics: { record: (m) => void metrics.push(m), flush: async () => {} },
    });
    try {
      const { stdout } = await run(
        claude,
        [
          '-p',
          'Fix the failing test with the smallest safe change.',
          '--output-format',
          'stream-json',
          '--verbose',
          '--model',
          'sonnet',
          '--permission-mode',
          'acceptEdits',
          '--allowedTools',
          'Bash(npm test)',
          '--tools',
          'Read,Edit,Write,Bash',
          '--no-session-persistence',
        ],
        {
          cwd: repo,
          timeout: 90_000,
          maxBuffer: 16 * 1024 * 1024,
          env: {
            PATH: process.env.PATH,
            HOME: configDir,
            CLAUDE_CONFIG_DIR: configDir,
            ANTHROPIC_BASE_URL: adapter.url,
            ANTHROPIC_API_KEY: key,
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
            DISABLE_TELEMETRY: '1',
            DISABLE_AUTOUPDATER: '1',
            CLAUDE_CODE_MAX_RETRIES: '0',
          },
        },
      );
      const events = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const result = events.find((e) => e.type === 'result');
      // (num_turns counts the parallel Read as two turns: 5 here for 4 requests.)
      deepStrictEqual(
        [result?.is_error, result?.result],
        [false, 'Fixed add(); npm test passes.'],
        JSON.stringify(result),
      );

      // The work itself: the edit landed and the Bash step ran the passing test.
      ok(readFileSync(join(repo, 'src/math.js'), 'utf8').includes('return a + b;'));
      ok(testsPass(repo));
      const sent = gateway.requests.map((r) => r.body);
      const bashResult = (sent[3].messages as Msg[]).at(-1);
      ok(bashResult?.role === 'tool' && /pass 1/.test(String(bashResult.content)), String(bashResult?.content));

      // Every request: the gateway model, streaming with usage, max_tokens clamped from the CLI's 32000/64000 to PER_JOB_TOKEN_LIMIT.
      strictEqual(sent.length, 4);
      for (const b of sent)
        deepStrictEqual(
          [b.model, b.max_tokens, b.stream, b.stream_options],
          ['gw-model', PER_JOB_TOKEN_LIMIT, true, { include_usage: true }],
        );
      deepStrictEqual(sent[0].tools.map((t: { function: { name: string } }) => t.function.name).sort(), [
        'Bash',
        'Edit',
        'Read',
        'Write',
      ]);
      ok(sent[0].tools.every((t: { function: { parameters: object } }) => !('$schema' in t.function.parameters)));

      // Turn 2: both tool results right after the assistant's parallel calls, in call order, and its reasoning sent back.
      const second = sent[1].messages as Msg[];
      const at = second.findIndex((m) => m.role === 'assistant' && m.tool_calls?.length === 2);
      const calls = second[at]!.tool_calls!;
      strictEqual(second[at]!.reasoning_content, 'Read the code and its test together.');
      deepStrictEqual(
        second.slice(at + 1, at + 3).map((m) => [m.role, m.tool_call_id]),
        [
          ['tool', calls[0]!.id],
          ['tool', calls[1]!.id],
        ],
      );
      ok(
        String(second[at + 1]!.content).includes('return a - b;') &&
          String(second[at + 2]!.content).includes('add adds two numbers'),
      );
      strictEqual(at + 3, second.length, 'nothing between the tool results and the next model turn');

      // The CLI saw the model name it asked for, not the gateway's.
      const models = new Set(events.filter((e) => e.type === 'assistant').map((e) => e.message.model));
      deepStrictEqual([...models], ['claude-sonnet-5']);

      // Metering: one model_calls row per upstream request, all on this job, priced from the reported usage.
      deepStrictEqual(
        rows.map((r) => [r.jobId, r.model, r.status, r.route]),
        sent.map(() => ['job-mt', 'gw-model', 'ok', 'primary']),
      );
      const reported = gateway.requests.map((r) => usageFromOpenAI(r.reportedUsage));
      deepStrictEqual(
        rows.map((r) => r.usage),
        reported,
      );
      const expected = reported.reduce((n, u) => n + prices.cost('gw-model', u), 0);
      strictEqual(
        rows.reduce((n, r) => n + r.costMicros, 0),
        expected,
      );
      deepStrictEqual(
        metrics.map((m) => [m.job, m.status, m.costMicros]),
        rows.map((r) => ['job-mt', 'ok', r.costMicros]),
      );
      const stats = await base.spendStats();
      deepStrictEqual(
        [stats.by_model['gw-model']?.calls, stats.reservations_in_flight, Math.round(stats.current_month * 1e6)],
        [4, 0, expected],
      );
      // The CLI's own usage total is what the adapter reported: input excludes cache reads.
      strictEqual(
        result.usage.cache_read_input_tokens,
        reported.reduce((n, u) => n + u.cache_read_tokens, 0),
      );
    } finally {
      await adapter.close();
      await gateway.close();
      await base.close();
      rmSync(dirname(repo), { recursive: true, force: true });
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});
