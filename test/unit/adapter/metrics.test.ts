import { deepStrictEqual, ok } from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetricsFile } from '../../../src/adapter/metrics';

describe('createMetricsFile (WORKER_METRICS_FILE)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'offload-metrics-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per attempt with tokens, µUSD and USD cost, latency, route and status', async () => {
    const path = join(dir, 'metrics.jsonl');
    const sink = createMetricsFile(path, { clock: () => Date.UTC(2026, 4, 1, 12, 0, 0) });
    sink.record({
      job: 'job-1',
      route: 'primary',
      model: 'deepseek-chat',
      usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 },
      costMicros: 0,
      latencyMs: 12,
      status: 'http_429',
    });
    sink.record({
      job: 'job-1',
      route: 'fallback',
      model: 'deepseek-chat',
      usage: { input_tokens: 900, output_tokens: 40, cache_read_tokens: 100 },
      costMicros: 1234,
      latencyMs: 250,
      status: 'ok',
    });
    await sink.flush();
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    deepStrictEqual(lines[1], {
      time: '2026-05-01T12:00:00.000Z',
      job: 'job-1',
      route: 'fallback',
      model: 'deepseek-chat',
      input_tokens: 900,
      output_tokens: 40,
      cache_read_tokens: 100,
      cost_micros: 1234,
      cost_usd: 0.001234,
      latency_ms: 250,
      status: 'ok',
    });
    deepStrictEqual([lines.length, lines[0].status, lines[0].cost_usd], [2, 'http_429', 0]);
  });

  it('masks known secrets and key shapes', async () => {
    const path = join(dir, 'm.jsonl');
    const sink = createMetricsFile(path, { secrets: () => ['adapter-key-123456'] });
    const usage = { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0 };
    sink.record({
      job: 'adapter-key-123456',
      route: 'primary',
      model: 'sk-abcdefghijklmnop',
      usage,
      costMicros: 1,
      latencyMs: 1,
      status: 'ok',
    });
    await sink.flush();
    const text = readFileSync(path, 'utf8');
    ok(!text.includes('adapter-key-123456') && !text.includes('sk-abcdefghijklmnop'), text);
  });

  it('logs a write failure instead of throwing', async () => {
    const logged: string[] = [];
    const sink = createMetricsFile(join(dir, 'no', 'such', 'dir', 'm.jsonl'), { log: (l) => logged.push(l) });
    sink.record({
      job: 'j',
      route: 'primary',
      model: 'm',
      usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 },
      costMicros: 0,
      latencyMs: 0,
      status: 'ok',
    });
    await sink.flush();
    ok(logged.length === 1 && /ENOENT/.test(logged[0]!), logged.join('\n'));
  });
});
