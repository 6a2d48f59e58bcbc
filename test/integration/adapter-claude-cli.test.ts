import { strict as assert } from 'node:assert';
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createLedgerMeter } from '../../src/adapter/ledger-meter';
import { startAdapterServer } from '../../src/adapter/server';
import { createUpstream } from '../../src/adapter/upstream';
import { PriceBook } from '../../src/core/pricing';
import { openMemoryLedger } from '../../src/ledger/sqlite-ledger';
import { createAnthropicGateway } from '../../src/adapter/anthropic-gateway';
import { startScriptedAnthropicGateway } from '../support/scripted-anthropic-gateway';
import { startScriptedGateway } from '../support/scripted-gateway';

const run = promisify(execFile);
const claude = resolve('node_modules/.bin/claude');

describe('@real-cli adapter with the real Claude Code CLI', function () {
  before(function () {
    assert.ok(
      existsSync(claude),
      'the real Claude Code CLI is missing from node_modules/.bin: run npm install (@anthropic-ai/claude-code is a devDependency)',
    );
  });

  it('runs a tool-using turn: the CLI writes the file the gateway model asked for, and both calls are settled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offload-adapter-cli-'));
    const target = join(dir, 'hello.txt');
    const gateway = await startScriptedGateway({
      script: (req) =>
        req.body.messages.at(-1).role === 'tool'
          ? { text: 'Wrote hello.txt.' }
          : {
              reasoning: 'A new file needs no Read.',
              tool_calls: [{ name: 'Write', arguments: { file_path: target, content: 'hello\n' } }],
            },
    });
    const ledger = await openMemoryLedger({ caps: { monthlyMicros: 10_000_000, dailyMicros: null } });
    await ledger.createJob({ id: 'job-cli', kind: 'claude-code', model: 'gw-model', request: {}, status: 'running' });
    const meter = createLedgerMeter(ledger, new PriceBook({ 'gw-model': { input_mtok: 0.1, output_mtok: 0.2 } }));
    const key = meter.register({ jobId: 'job-cli', model: 'gw-model' });
    const adapter = await startAdapterServer({
      meter,
      upstream: createUpstream({ primary: { baseURL: gateway.url, apiKey: 'gw' } }),
      perJobTokenLimit: 8192,
    });
    try {
      const { stdout } = await run(
        claude,
        [
          '-p',
          'Create hello.txt containing hello',
          '--output-format',
          'json',
          '--model',
          'sonnet',
          '--permission-mode',
          'acceptEdits',
        ],
        {
          cwd: dir,
          timeout: 60_000,
          env: {
            PATH: process.env.PATH,
            HOME: dir,
            ANTHROPIC_BASE_URL: adapter.url,
            ANTHROPIC_API_KEY: key,
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
            DISABLE_TELEMETRY: '1',
            DISABLE_AUTOUPDATER: '1',
          },
        },
      );
      const result = JSON.parse(stdout);
      deepStrictEqual([result.is_error, result.result], [false, 'Wrote hello.txt.']);
      strictEqual(readFileSync(target, 'utf8'), 'hello\n');
      const sent = gateway.requests.map((r) => r.body);
      deepStrictEqual(
        sent.map((b) => b.model),
        ['gw-model', 'gw-model'],
      );
      deepStrictEqual(sent[1].messages.at(-2).reasoning_content, 'A new file needs no Read.');
      const stats = await ledger.spendStats();
      deepStrictEqual([stats.by_model['gw-model']?.calls, stats.reservations_in_flight], [2, 0]);
    } finally {
      await adapter.close();
      await gateway.close();
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("USE_OPENAI_ADAPTER=0: the CLI's streamed requests pass through to an Anthropic-compatible gateway, each one settled", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offload-adapter-cli-'));
    const stand = await startScriptedAnthropicGateway({
      apiKey: 'gw-key',
      script: () => ({ text: ['Hello from ', 'the stand-in.'], usage: { input_tokens: 1200, output_tokens: 8 } }),
    });
    const ledger = await openMemoryLedger({ caps: { monthlyMicros: 10_000_000, dailyMicros: null } });
    await ledger.createJob({ id: 'job-cli', kind: 'claude-code', model: 'gw-model', request: {}, status: 'running' });
    const meter = createLedgerMeter(ledger, new PriceBook({ 'gw-model': { input_mtok: 0.1, output_mtok: 0.2 } }));
    const key = meter.register({ jobId: 'job-cli', model: 'gw-model' });
    const adapter = await startAdapterServer({
      meter,
      upstream: createUpstream({ primary: { baseURL: 'http://127.0.0.1:9', apiKey: 'unused' } }),
      perJobTokenLimit: 8192,
      anthropicGateway: createAnthropicGateway({ baseURL: stand.url, apiKey: 'gw-key' }),
    });
    try {
      const { stdout } = await run(claude, ['-p', 'Say hello', '--output-format', 'json', '--model', 'sonnet'], {
        cwd: dir,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          ANTHROPIC_BASE_URL: adapter.url,
          ANTHROPIC_API_KEY: key,
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_AUTOUPDATER: '1',
        },
      });
      const result = JSON.parse(stdout);
      deepStrictEqual([result.is_error, result.result], [false, 'Hello from the stand-in.']);
      assert.ok(stand.requests.length >= 1);
      deepStrictEqual(new Set(stand.requests.map((r) => r.body.model)), new Set(['gw-model']));
      strictEqual(
        stand.requests.every((r) => r.headers['x-api-key'] === 'gw-key'),
        true,
      );
      const stats = await ledger.spendStats();
      deepStrictEqual([stats.by_model['gw-model']?.calls, stats.reservations_in_flight], [stand.requests.length, 0]);
    } finally {
      await adapter.close();
      await stand.close();
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
