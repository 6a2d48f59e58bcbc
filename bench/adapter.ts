/**
 * Adapter section of BENCHMARKS.md: side by side in one run, on the same scripted upstream (a
 * separate process), a direct OpenAI call vs Offload's adapter vs @musistudio/claude-code-router
 * 2.0.0 (each proxy in its own process): added latency (p50/p95 of paired differences, requests
 * interleaved), streaming time to first byte, requests/s with small requests, and memory per
 * in-flight stream. Run with `npm run bench` (or `npx tsx bench/run.ts adapter`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AnthropicRequestSchema, parseAnthropic, type AnthropicRequest } from '../src/adapter/anthropic-schema';
import { translateRequest } from '../src/adapter/translate-request';
import { redactValue } from '../src/core/redact';
import { promptTokensUpperBound } from '../src/core/token-bound';
import { cpuMark, machine, stealSince } from './run';

/** The marker name of this section in BENCHMARKS.md. */
export const section = 'adapter';

const ROOT = resolve(__dirname, '..');
const CCR_CLI = join(ROOT, 'node_modules/@musistudio/claude-code-router/dist/cli.js');
const KIB = 1024;

interface Target {
  name: string;
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  /** Body per case key (`50k:stream`…), pre-serialised. */
  bodies: Map<string, Buffer>;
}

interface Timing {
  ttfb: number;
  total: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One request; resolves with time to the first body byte and to the end, ms. Rejects on a non-200. */
function timed(t: Target, body: Buffer): Promise<Timing> {
  return new Promise((resolveTiming, reject) => {
    const t0 = performance.now();
    let ttfb = 0;
    const req = request(
      {
        host: t.host,
        port: t.port,
        path: t.path,
        method: 'POST',
        agent,
        headers: { ...t.headers, 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => {
          if (ttfb === 0) ttfb = performance.now() - t0;
          if (res.statusCode !== 200) parts.push(d);
        });
        res.on('end', () => {
          if (res.statusCode !== 200)
            reject(
              new Error(`${t.name}: HTTP ${res.statusCode} ${Buffer.concat(parts).toString('utf8').slice(0, 300)}`),
            );
          else resolveTiming({ ttfb, total: performance.now() - t0 });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '—');

/** A Claude Code-shaped Anthropic request of about `bytes` bytes: system blocks, tools, Read/tool_result turns. */
function claudeLikeRequest(bytes: number, stream: boolean, marker = ''): AnthropicRequest {
  const code = Array.from(
    { length: 120 },
    (_, i) => `${i + 1}\texport function f${i}(a: number, b: number): number { return a * ${i} + b; } // ünïcode ✓`,
  ).join('\n');
  const schema = (props: Record<string, object>) => ({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: props,
    required: Object.keys(props).slice(0, 1),
    additionalProperties: false,
  });
  const req: AnthropicRequest = {
    model: 'claude-sonnet-5',
    max_tokens: 32000,
    stream,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197.abc; cc_entrypoint=sdk-cli;' },
      { type: 'text', text: "You are a Claude agent, built on Anthropic's Claude Agent SDK." },
      {
        type: 'text',
        text: 'You are an interactive CLI tool that helps users with software engineering tasks. '.repeat(100),
        cache_control: { type: 'ephemeral' },
      },
    ],
    tools: [
      {
        name: 'Read',
        description: 'Reads a file from the local filesystem.',
        input_schema: schema({
          file_path: { type: 'string' },
          offset: { type: 'integer', minimum: 0 },
          limit: { type: 'integer', exclusiveMinimum: 0 },
        }),
      },
      {
        name: 'Edit',
        description: 'Performs exact string replacements in files.',
        input_schema: schema({
          file_path: { type: 'string' },
          old_string: { type: 'string' },
          new_string: { type: 'string' },
          replace_all: { type: 'boolean' },
        }),
      },
      {
        name: 'Bash',
        description: 'Executes a given bash command.',
        input_schema: schema({
          command: { type: 'string' },
          timeout: { type: 'number', maximum: 600000 },
          description: { type: 'string' },
        }),
      },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>Today is 2026-05-01.</system-reminder>' },
          { type: 'text', text: 'Fix the failing test.' },
        ],
      },
    ],
    metadata: { user_id: '{"device_id":"d","session_id":"s"}' },
  } as AnthropicRequest;
  for (let i = 0; JSON.stringify(req).length < bytes - 200; i++) {
    const id = `toolu_bench_${i}`;
    req.messages.push({
      role: 'assistant',
      content: [
        { type: 'text', text: `Reading file ${i}.` },
        { type: 'tool_use', id, name: 'Read', input: { file_path: `/repo/src/f${i}.ts` } },
      ],
    });
    req.messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: code }] });
  }
  req.messages.push({ role: 'user', content: `Continue.${marker}` });
  return req;
}

const BREAKDOWN_RUNS = 50;

/** Median ms of each step the adapter runs on a request body, in this process, for the 50 KiB and 400 KiB streaming requests. */
function stepTimes(): Array<{ label: string; steps: Array<[string, number]> }> {
  return (
    [
      ['50 KiB', 50 * KIB],
      ['400 KiB', 400 * KIB],
    ] as const
  ).map(([label, bytes]) => {
    const body = Buffer.from(JSON.stringify(claudeLikeRequest(bytes, true)));
    const times = new Map<string, number[]>();
    const time = <T>(step: string, f: () => T): T => {
      const t0 = performance.now();
      const r = f();
      if (!times.has(step)) times.set(step, []);
      times.get(step)!.push(performance.now() - t0);
      return r;
    };
    for (let i = 0; i < BREAKDOWN_RUNS + 10; i++) {
      if (i === 10) times.clear();
      const value = time('JSON.parse', () => JSON.parse(body.toString('utf8')) as unknown);
      const parsed = time('zod', () => parseAnthropic(AnthropicRequestSchema, value));
      if (!parsed.ok) throw new Error(parsed.message);
      const tr = time('translate', () =>
        translateRequest(parsed.value, { gatewayModel: 'bench-model', perJobTokenLimit: 8192 }),
      );
      const params = time('redact', () => redactValue(tr.params, ['bench-configured-secret']));
      time('bound', () => promptTokensUpperBound(params));
      const json = time('JSON.stringify', () => JSON.stringify(params));
      time('Buffer.from', () => Buffer.from(json, 'utf8'));
    }
    return { label, steps: [...times].map(([k, xs]) => [k, pct(xs, 50)] as [string, number]) };
  });
}

/** A small request (~200 B): one user message, no tools — for requests/s. */
function smallRequest(stream: boolean): AnthropicRequest {
  return {
    model: 'claude-sonnet-5',
    max_tokens: 1024,
    stream,
    messages: [{ role: 'user', content: 'Rename the variable x to count in src/a.ts and say done.' }],
  } as AnthropicRequest;
}

/**
 * The benchmark's own server processes (bench/support/adapter-bench-server.ts and the bare-proxy
 * floor) bundled like dist/worker.js (esbuild, node20, sql-wasm.wasm beside them) into a temporary
 * directory, so both run as plain JavaScript: tsx's loader hooks slowed a server ~30 %.
 */
async function bundleServers(): Promise<{ dir: string; adapter: string; proxy: string }> {
  const esbuild = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'offload-bench-adapter-'));
  const build = (entry: string, out: string) =>
    esbuild.build({
      entryPoints: [join(__dirname, entry)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: join(dir, out),
      logLevel: 'error',
    });
  await Promise.all([
    build('support/adapter-bench-server.ts', 'adapter-bench-server.js'),
    build('support/bare-proxy.ts', 'bare-proxy.js'),
  ]);
  copyFileSync(join(ROOT, 'node_modules/sql.js/dist/sql-wasm.wasm'), join(dir, 'sql-wasm.wasm'));
  return { dir, adapter: join(dir, 'adapter-bench-server.js'), proxy: join(dir, 'bare-proxy.js') };
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

/** Spawns a node child and resolves with it and the first JSON line it prints. */
function spawnJson(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) res({ child, info: JSON.parse(out.slice(0, nl)) });
    });
    child.on('exit', (code) => rej(new Error(`${args.join(' ')} exited with ${code} before it was ready`)));
  });
}

async function waitHttp(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      request({ host: '127.0.0.1', port, path: '/', method: 'GET' }, (r) => {
        r.resume();
        res(true);
      })
        .on('error', () => res(false))
        .end();
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** claude-code-router 2.0.0 as its CLI runs it (`ccr start`), with a config in a temporary HOME pointing at the gateway. */
async function startCcr(
  gatewayUrl: string,
  log: (l: string) => void,
): Promise<{ target?: Omit<Target, 'bodies'>; stop(): void; why?: string }> {
  if (!existsSync(CCR_CLI))
    return {
      stop() {},
      why: `${CCR_CLI} is not installed (npm install --save-dev @musistudio/claude-code-router@2.0.0)`,
    };
  const home = mkdtempSync(join(tmpdir(), 'offload-bench-ccr-'));
  const port = await freePort();
  mkdirSync(join(home, '.claude-code-router'), { recursive: true });
  writeFileSync(
    join(home, '.claude-code-router', 'config.json'),
    JSON.stringify({
      PORT: port,
      HOST: '127.0.0.1',
      APIKEY: 'ccr-bench-key',
      LOG: false,
      NON_INTERACTIVE_MODE: true,
      Providers: [
        { name: 'scripted', api_base_url: `${gatewayUrl}/chat/completions`, api_key: 'bench', models: ['bench-model'] },
      ],
      Router: { default: 'scripted,bench-model' },
    }),
  );
  const child = spawn(process.execPath, [CCR_CLI, 'start'], {
    cwd: home,
    env: { ...process.env, HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitHttp(port, 20_000);
  } catch (err) {
    stop();
    return { stop() {}, why: `ccr start did not listen: ${(err as Error).message} ${stderr.slice(0, 300)}` };
  }
  log(`claude-code-router 2.0.0 on port ${port}`);
  return {
    target: {
      name: 'claude-code-router',
      host: '127.0.0.1',
      port,
      path: '/v1/messages',
      headers: { 'x-api-key': 'ccr-bench-key', 'anthropic-version': '2023-06-01' },
    },
    stop,
  };
}

interface CaseResult {
  key: string;
  times: Map<string, Timing[]>;
}

/** Interleaved rounds: each round sends the case once to every target, in a rotating order. */
async function latencyCase(targets: Target[], key: string, warmup: number, rounds: number): Promise<CaseResult> {
  const times = new Map<string, Timing[]>(targets.map((t) => [t.name, []]));
  for (let i = 0; i < warmup + rounds; i++) {
    for (let j = 0; j < targets.length; j++) {
      const t = targets[(i + j) % targets.length]!;
      const r = await timed(t, t.bodies.get(key)!);
      if (i >= warmup) times.get(t.name)!.push(r);
    }
  }
  return { key, times };
}

/** p50 and p95 of the paired differences target − direct (same round), ms. */
function added(c: CaseResult, name: string, field: keyof Timing): [number, number] {
  const d = c.times.get('direct') ?? [];
  const t = c.times.get(name) ?? [];
  const diffs = t.map((x, i) => x[field] - (d[i]?.[field] ?? NaN)).filter(Number.isFinite);
  return [pct(diffs, 50), pct(diffs, 95)];
}

async function throughput(t: Target, body: Buffer, concurrency: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await timed(t, body);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - t0) / 1000);
}

function mem(child: ChildProcess): Promise<NodeJS.MemoryUsage> {
  return new Promise((res) => {
    child.once('message', (m) => res(m as NodeJS.MemoryUsage));
    child.send('mem');
  });
}

/** Runs the benchmark and returns the Markdown of the section. */
export async function run(log: (line: string) => void): Promise<string> {
  const started = Date.now();
  const cpu0 = cpuMark();
  const tsx = ['--import', 'tsx'];
  const holdMs = 3000;
  // The adapter runs as the app ships, an esbuild bundle (as in dist/); so does the bare proxy it is compared with.
  const bundles = await bundleServers();
  const gw = await spawnJson([
    ...tsx,
    join(__dirname, 'support/adapter-bench-gateway.ts'),
    '--hold-ms',
    String(holdMs),
  ]);
  const gatewayUrl = gw.info.url!;
  const off = await spawnJson(['--expose-gc', bundles.adapter, '--gateway', gatewayUrl]);
  const ledgerDir = mkdtempSync(join(tmpdir(), 'offload-bench-ledger-'));
  const offFile = await spawnJson([
    bundles.adapter,
    '--gateway',
    gatewayUrl,
    '--ledger',
    `file:${join(ledgerDir, 'ledger.sqlite')}`,
  ]);
  const offBare = await spawnJson([bundles.adapter, '--gateway', gatewayUrl, '--ledger', 'none']);
  const proxy = await spawnJson([bundles.proxy, '--gateway', gatewayUrl]);
  // The metered floor: the same bare proxy, plus the real ledger's reserve before and settle after each call.
  const proxyMem = await spawnJson([bundles.proxy, '--gateway', gatewayUrl, '--ledger', 'memory']);
  const proxyFile = await spawnJson([
    bundles.proxy,
    '--gateway',
    gatewayUrl,
    '--ledger',
    `file:${join(ledgerDir, 'proxy-ledger.sqlite')}`,
  ]);
  const ccr = await startCcr(gatewayUrl, log);
  const children = [gw.child, off.child, offFile.child, offBare.child, proxy.child, proxyMem.child, proxyFile.child];
  try {
    const gwUrl = new URL(gatewayUrl);
    const offUrl = new URL(off.info.url!);
    const offFileUrl = new URL(offFile.info.url!);
    const offBareUrl = new URL(offBare.info.url!);
    const anthropicHeaders = (key: string) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' });
    const direct: Target = {
      name: 'direct',
      host: '127.0.0.1',
      port: Number(gwUrl.port),
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer bench' },
      bodies: new Map(),
    };
    const offload: Target = {
      name: 'offload',
      host: '127.0.0.1',
      port: Number(offUrl.port),
      path: '/v1/messages?beta=true',
      headers: anthropicHeaders(off.info.key!),
      bodies: new Map(),
    };
    const offloadFile: Target = {
      name: 'offload+file-ledger',
      host: '127.0.0.1',
      port: Number(offFileUrl.port),
      path: '/v1/messages?beta=true',
      headers: anthropicHeaders(offFile.info.key!),
      bodies: new Map(),
    };
    const bare: Target = {
      name: 'offload-no-ledger',
      host: '127.0.0.1',
      port: Number(offBareUrl.port),
      path: '/v1/messages?beta=true',
      headers: anthropicHeaders(offBare.info.key!),
      bodies: new Map(),
    };
    const proxyUrl = new URL(proxy.info.url!);
    const floor: Target = {
      name: 'node:http proxy',
      host: '127.0.0.1',
      port: Number(proxyUrl.port),
      path: '/v1/chat/completions',
      headers: {},
      bodies: new Map(),
    };
    const meteredFloor = (name: string, url: string): Target => ({
      name,
      host: '127.0.0.1',
      port: Number(new URL(url).port),
      path: '/v1/chat/completions',
      headers: {},
      bodies: new Map(),
    });
    const floorMem = meteredFloor('node:http proxy+memory-ledger', proxyMem.info.url!);
    const floorFile = meteredFloor('node:http proxy+file-ledger', proxyFile.info.url!);
    const router: Target | undefined = ccr.target ? { ...ccr.target, bodies: new Map() } : undefined;
    const sizes = [
      ['50k', 50 * KIB],
      ['400k', 400 * KIB],
      ['small', 1.5 * KIB],
    ] as const;
    const bodySize: Record<string, number> = {};
    for (const [label, bytes] of sizes) {
      for (const stream of [false, true]) {
        const key = `${label}:${stream ? 'stream' : 'json'}`;
        const anthropic = label === 'small' ? smallRequest(stream) : claudeLikeRequest(bytes, stream);
        const a = Buffer.from(JSON.stringify(anthropic));
        bodySize[label] = a.length;
        const openai = translateRequest(anthropic, { gatewayModel: 'bench-model', perJobTokenLimit: 8192 }).params;
        direct.bodies.set(key, Buffer.from(JSON.stringify(openai)));
        for (const t of [floor, floorMem, floorFile]) t.bodies.set(key, direct.bodies.get(key)!);
        for (const t of [offload, offloadFile, bare, router]) t?.bodies.set(key, a);
      }
    }
    const targets = [direct, offload, bare, floor, ...(router ? [router] : [])];

    // 1. Latency, interleaved.
    const cases: CaseResult[] = [];
    for (const [key, warmup, rounds] of [
      ['50k:json', 20, 150],
      ['50k:stream', 20, 150],
      ['400k:json', 10, 60],
      ['400k:stream', 10, 60],
    ] as const) {
      log(`latency ${key}`);
      cases.push(await latencyCase(targets, key, warmup, rounds));
    }
    log('latency 50k:json with the file-backed ledger');
    const fileCase = await latencyCase([direct, offloadFile, floorFile, floor], '50k:json', 10, 60);

    // 2. Throughput with small requests: ROUNDS rounds, each measuring every target and mode in turn, so that a slow phase of
    // this shared machine falls on all of them alike; the median round counts, and the range is reported beside it.
    const ROUNDS = 3;
    const rpsRounds = new Map<string, { name: string; mode: string; xs: number[] }>();
    const tpTargets = [...targets, offloadFile, floorMem, floorFile];
    for (const t of tpTargets)
      for (const mode of ['json', 'stream']) await throughput(t, t.bodies.get(`small:${mode}`)!, 16, 0.5);
    for (let round = 1; round <= ROUNDS; round++) {
      log(`throughput round ${round} of ${ROUNDS}`);
      for (const t of tpTargets) {
        for (const mode of ['json', 'stream']) {
          const r = await throughput(t, t.bodies.get(`small:${mode}`)!, 16, t === router ? 1 : 1.5);
          const key = JSON.stringify([t.name, mode]);
          if (!rpsRounds.has(key)) rpsRounds.set(key, { name: t.name, mode, xs: [] });
          rpsRounds.get(key)!.xs.push(r);
        }
      }
    }
    const rps: Array<[string, string, number, number, number]> = [...rpsRounds.values()].map(({ name, mode, xs }) => [
      name,
      mode,
      pct(xs, 50),
      Math.min(...xs),
      Math.max(...xs),
    ]);

    // 3. Memory per in-flight stream (400 KiB bodies held by the gateway).
    log('memory per in-flight stream');
    const inFlight = 40;
    const held = Buffer.from(JSON.stringify(claudeLikeRequest(400 * KIB, true, ' HOLD')));
    const before = await mem(off.child);
    const pending = Array.from({ length: inFlight }, () => timed(offload, held));
    await new Promise((r) => setTimeout(r, holdMs / 2));
    const during = await mem(off.child);
    await Promise.all(pending);
    const perStream = (during.heapUsed + during.external - before.heapUsed - before.external) / inFlight;
    const rssPerStream = (during.rss - before.rss) / inFlight;

    // The report.
    const rowsOf = (c: CaseResult) => {
      const [label, mode] = c.key.split(':') as [string, string];
      const p = (name: string, f: keyof Timing) => {
        const xs = c.times.get(name)?.map((x) => x[f]) ?? [];
        return xs.length ? `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))}` : '—';
      };
      const out: string[] = [];
      for (const f of (mode === 'stream' ? ['ttfb', 'total'] : ['total']) as Array<keyof Timing>) {
        const [o50, o95] = added(c, 'offload', f);
        const [r50, r95] = router ? added(c, router.name, f) : [NaN, NaN];
        const ratio = router && r50 > 0 ? `${(Math.max(o50, 0) / r50).toFixed(3)}` : '—';
        const [b50, b95] = added(c, bare.name, f);
        out.push(
          `| ${label === '50k' ? '50 KiB' : '400 KiB'} (${bodySize[label]} B) | ${mode === 'stream' ? `streaming, ${f === 'ttfb' ? 'first byte' : 'total'}` : 'non-streaming'} | ${p('direct', f)} | ${p('offload', f)} | ${router ? p(router.name, f) : '—'} | **${ms(o50)}** / ${ms(o95)} | ${ms(b50)} / ${ms(b95)} | ${ms(r50)} / ${ms(r95)} | ${ratio} |`,
        );
      }
      return out;
    };
    const get = (key: string, f: keyof Timing = 'total') =>
      added(
        cases.find((c) => c.key === key)!,
        'offload',
        f,
      )[0];
    const getR = (key: string, f: keyof Timing = 'total') =>
      router
        ? added(
            cases.find((c) => c.key === key)!,
            router.name,
            f,
          )[0]
        : NaN;
    const check = (ok: boolean) => (ok ? '✔ met' : '✘ missed');
    const ratios = ['50k:json', '50k:stream', '400k:json', '400k:stream'].map((k) => get(k) / getR(k));
    const breakdown = stepTimes();
    const [f50] = added(fileCase, offloadFile.name, 'total');
    const [ff50] = added(fileCase, floorFile.name, 'total');
    const [fb50] = added(fileCase, floor.name, 'total');
    const floorOf = (key: string, f: keyof Timing = 'total') =>
      added(
        cases.find((c) => c.key === key)!,
        floor.name,
        f,
      )[0];
    const rpsOf = (name: string, mode: string) =>
      Math.round(rps.find(([n, m]) => n === name && m === mode)?.[2] ?? NaN);
    const lines = [
      '## Adapter',
      '',
      `Command: \`npm run bench\` (this section alone: \`npx tsx bench/run.ts adapter\`). Machine: ${machine()}. Run ${new Date().toISOString().slice(0, 16)}Z, ${Math.round((Date.now() - started) / 1000)} s, ${stealSince(cpu0)} (time the hypervisor gave to other guests; figures of a run with high steal are slower).`,
      '',
      'Setup: the scripted gateway (test/support/scripted-gateway.ts, stand-in for the model provider) in its own process answers every',
      'chat-completions call with the same ~100-character reply (7 SSE chunks + usage when streaming). The clients hit it side by side,',
      'requests interleaved round by round: **direct** (the OpenAI body the adapter would send, straight to the gateway), **Offload** (its',
      'adapter in its own process, bundled by esbuild as dist/ ships it: auth, the body read by raw-body and JSON.parse, zod validation,',
      'translation, redaction, the input bound, reservation and settlement in an in-memory sql.js ledger, the undici upstream client,',
      'eventsource-parser, stream translation), **claude-code-router 2.0.0** (`ccr start` in its own process with a',
      'config pointing at the same gateway) and, for reference, a **bare node:http proxy** (bench/support/bare-proxy.ts: reads the body,',
      'forwards it unchanged, pipes the answer back; no parsing at all), the floor of any Node proxy on this machine. Requests are Claude',
      'Code-shaped Anthropic bodies (billing-header system block, 3 tools with `$schema`, Read/tool_result turns with non-ASCII code) sent',
      'over keep-alive HTTP/1.1. "Added" = p50 / p95 of the per-round difference to the direct call, in ms; the last column is Offload\'s',
      'added p50 over claude-code-router\'s. "Without the ledger" is the same adapter with a meter that prices each call but writes',
      'nothing (offload-no-ledger).',
      ...(ccr.why ? ['', `claude-code-router could not run here: ${ccr.why}`] : []),
      '',
      '| request | mode | direct p50 / p95 | Offload p50 / p95 | ccr p50 / p95 | added by Offload | … of which without the ledger | added by ccr | Offload ÷ ccr |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...cases.flatMap(rowsOf),
      '',
      `The bare node:http proxy adds p50 **${ms(floorOf('50k:json'))}** ms at 50 KiB and **${ms(floorOf('400k:json'))}** ms at 400 KiB non-streaming ` +
        `(streaming total: ${ms(floorOf('50k:stream'))} / ${ms(floorOf('400k:stream'))} ms): the second HTTP hop alone.`,
      '',
      `Requests/s with small (${bodySize.small} B) requests, 16 concurrent, through one process each; median of ${ROUNDS} interleaved rounds ` +
        `(each target and mode 1.5 s per round, claude-code-router 1 s), min–max in brackets: ` +
        rps
          .map(
            ([n, m, r, lo, hi]) =>
              `${n} ${m === 'json' ? 'non-streaming' : 'streaming'} **${Math.round(r)}** (${Math.round(lo)}–${Math.round(hi)})`,
          )
          .join(', ') +
        '.',
      '',
      `Memory per in-flight stream (${inFlight} streaming 400 KiB requests held by the gateway, adapter heap + external after two full GCs and the ArrayBuffer sweeper): ` +
        `**${Math.round(perStream / KIB)} KiB** per stream = ${(perStream / bodySize['400k']!).toFixed(2)} × the ${Math.round(bodySize['400k']! / KIB)} KiB body (RSS grew ${Math.round(rssPerStream / KIB)} KiB per stream).`,
      '',
      `With the file-backed ledger instead (the production ledger: each reserve takes the file lock, catches up and appends one fdatasync'ed journal line; settles after the answer), 50 KiB non-streaming adds **${ms(f50)} ms** p50.`,
      '',
      'The metered floor: the bare node:http proxy plus the real ledger (bench/support/bare-proxy.ts `--ledger`), reserving before',
      'it forwards each call and settling after the answer, with no parsing or translation. It is what any proxy pays here to meter',
      `every call through this ledger: it adds ${ms(ff50)} ms p50 at 50 KiB non-streaming with the file ledger (the unmetered proxy, in the same rounds: ${ms(fb50)} ms), and serves ` +
        `${rpsOf(floorMem.name, 'json')} / ${rpsOf(floorMem.name, 'stream')} requests/s (non-streaming / streaming) with the in-memory ledger and ` +
        `${rpsOf(floorFile.name, 'json')} / ${rpsOf(floorFile.name, 'stream')} with the file ledger, against ${rpsOf(floor.name, 'json')} / ${rpsOf(floor.name, 'stream')} unmetered.`,
      '',
      'Targets (issue 14), each measured in this run against claude-code-router in the same rounds:',
      `- added p50 ≤ ⅕ of claude-code-router's, at 50 KiB and 400 KiB (non-streaming, streaming total): ratios ${ratios.map((r) => (Number.isFinite(r) ? r.toFixed(3) : '—')).join(', ')} — ${router ? check(ratios.every((r) => r <= 1 / 5)) : 'not measured'}`,
      `- added p50 ≤ 4 ms at 50 KiB: ${ms(get('50k:json'))} ms non-streaming, ${ms(get('50k:stream'))} ms streaming total — ${check(get('50k:json') <= 4 && get('50k:stream') <= 4)}`,
      `- added p50 ≤ 8 ms at 400 KiB: ${ms(get('400k:json'))} ms non-streaming, ${ms(get('400k:stream'))} ms streaming total — ${check(get('400k:json') <= 8 && get('400k:stream') <= 8)}`,
      `- memory per in-flight stream ≤ 3 × its body: ${(perStream / bodySize['400k']!).toFixed(2)} × — ${check(perStream <= 3 * bodySize['400k']!)}`,
      '',
      `Where the time goes: the adapter's own steps on the same request bodies, timed in this process (median of ${BREAKDOWN_RUNS} after warm-up, ms): ` +
        breakdown
          .map(({ label, steps }) => `${label}: ${steps.map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`)
          .join('; ') +
        '.',
      'A CPU profile of the bundled adapter (`node --cpu-prof`, 200 sequential 400 KiB streaming requests, 2026-12-03, this machine) gave',
      'per request: writing the body into the upstream socket (writev, kernel loopback work) 1.9 ms, garbage collection 1.45 ms, decoding',
      'the body to a string for JSON.parse (Buffer toString) 1.4 ms, JSON.stringify + Buffer.from 1.15 ms, redaction 1.0 ms (the GitHub-token',
      "pattern a third of it), JSON.parse itself ~1 ms; zod, translation and the bound ~0.5 ms together. So at 400 KiB the plain design's",
      "floor here is ~7–8 ms added p50, the 8 ms target's edge: a run on a busy machine can land either side of it.",
      "The in-process step timings leave out: the second HTTP hop (the bare proxy's figure above: reading the body, writing it upstream, the answer back),",
      'the in-memory ledger\'s reserve and settle (the difference between the Offload and "without the ledger" columns), and garbage',
      'collection of the parsed request. The adapter parses plainly (JSON.parse, then zod), translates, redacts every string of the',
      'translated request (core/redact.ts, 7 patterns per string), bounds it, and sends `Buffer.from(JSON.stringify(...))` over undici',
      '(ARCHITECTURE.md, "Libraries on the adapter\'s path": undici + eventsource-parser against the `openai` SDK).',
      'This machine is shared and its speed drifts by tens of percent within minutes: compare columns of one run, not runs.',
      '',
      'Memory: per held stream, the upstream body as one buffer (serialized once, when the call is made) and little else: no frame of',
      "the call keeps the parsed request (messages-handler.ts prepares it synchronously; server.ts returns the handler's promise",
      'rather than awaiting it). When one did, the parsed strings stayed too, two bytes a character in V8 once a string holds a character',
      'outside Latin-1, as most Claude Code requests do: 3.0 × the body. Measured right after a single GC, `external` also counts buffers',
      "already dead that V8's ArrayBuffer sweeper has not freed yet (up to a body per stream), hence two GCs.",
    ];
    return lines.join('\n');
  } finally {
    ccr.stop();
    for (const c of children) c.kill('SIGTERM');
    rmSync(ledgerDir, { recursive: true, force: true });
    rmSync(bundles.dir, { recursive: true, force: true });
    agent.destroy();
  }
}
