/**
 * Prefix-cache section of BENCHMARKS.md: the cached share of input tokens a provider with an
 * automatic prompt cache would bill, measured with the scripted gateway (stand-in for the model
 * provider) and its `prefixCache` accounting (test/support/prefix-cache.ts: the longest common
 * prefix of `[tools, messages]` with the same key's recent requests, bytes / 4). Two workloads
 * through the built worker (`node dist/worker.js mcp`): (a) the savings bench's larger agent job
 * (the real Claude Code CLI through Offload's adapter, 7 agent turns) and a longer one (20 turns of
 * one Read each, past Claude Code's periodic mid-conversation reminders), (b) five run_jobs over the
 * same 3 files with different tasks. Reported per request from the 2nd on: prompt and cached
 * tokens, the cached share, and where the prefix breaks when the share is under 99 %; and the
 * cost of those requests at the cached and the uncached price (src/core/pricing.ts).
 * Run with `npx tsx bench/run.ts prefix-cache` after `npm run build`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { DEMO_CHECK, DEMO_START_PROMPT } from '../src/cli/demo-project';
import { createDemoRepo } from '../src/cli/demo-repo';
import { PriceBook } from '../src/core/pricing';
import { commonPrefixBytes, promptKey } from '../test/support/prefix-cache';
import { startScriptedGateway, type RecordedRequest, type Reply, type Script } from '../test/support/scripted-gateway';
import { connectWorker } from '../test/support/worker-client';
import { machine } from './run';
import { cwdFromRequest, demoScript } from '../test/support/demo-script';
import { largerScript, moduleText } from './savings';

/** The marker name of this section in BENCHMARKS.md. */
export const section = 'prefix-cache';

/** Priced models (USD per million tokens from genai-prices); DeepSeek at a fixed peak-hour time. */
const MODELS = ['gpt-4o-mini', 'deepseek-chat'] as const;
const PRICED_AT = new Date('2026-12-01T03:00:00Z');

interface Turn {
  prompt: number;
  cached: number;
  output: number;
  /** Share of the previous measured request's serialized prompt that this one begins with (0..1). */
  reused?: number;
  /** Where the prefix with the previous measured request breaks: byte offset and a snippet. */
  breakAt?: string;
}

/** The script without its fixed usage, so the gateway reports bytes / 4 and its prefix-cache figure. */
function unpriced(script: Script): Script {
  return (req: RecordedRequest, index: number): Reply => {
    const r = (script as (q: RecordedRequest, i: number) => Reply)(req, index);
    if ('error' in r && r.error) return r;
    const { usage: _usage, ...rest } = r as Extract<Reply, { usage?: unknown }>;
    return rest;
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as {
    content?: { text?: string }[];
  };
  return JSON.parse(r.content?.[0]?.text ?? 'null');
}

/** Per measured request: usage as reported, and the prefix break against the previous one. */
function turns(requests: RecordedRequest[]): Turn[] {
  return requests.map((r, i) => {
    const u = r.reportedUsage;
    const t: Turn = {
      prompt: u?.prompt_tokens ?? 0,
      cached: u?.prompt_tokens_details.cached_tokens ?? 0,
      output: u?.completion_tokens ?? 0,
    };
    const prev = requests[i - 1];
    if (!prev) return t;
    const a = promptKey(prev.body);
    const b = promptKey(r.body);
    const at = commonPrefixBytes(a, b);
    const prevBytes = Buffer.byteLength(a);
    t.reused = at / prevBytes;
    if (t.prompt > 0 && t.cached / t.prompt < 0.99) {
      // The last 2 bytes of a serialized prompt are the closing `]]`: a prefix reaching them reuses it whole.
      if (at >= prevBytes - 2)
        t.breakAt = `none: the previous prompt is reused whole; ${Buffer.byteLength(b) - at} new bytes follow`;
      else {
        const snippet = Buffer.from(b, 'utf8')
          .subarray(Math.max(0, at - 40), at + 40)
          .toString('utf8')
          .replace(/[|\n`]/g, ' ');
        t.breakAt = `byte ${at} of ${Buffer.byteLength(b)}: …${snippet}…`;
      }
    }
    return t;
  });
}

/** Read turns of the long job: enough requests for Claude Code's periodic mid-conversation reminders. */
const LONG_READS = 16;

/** The long job's model: LONG_READS turns of one Read each, then Read → Edit → npm test → answer. */
const longScript: Script = (req: RecordedRequest, index: number): Reply => {
  if (!req.body?.tools?.length) return (demoScript as (r: RecordedRequest, i: number) => Reply)(req, index);
  const messages: { role: string; tool_calls?: unknown }[] = req.body.messages ?? [];
  const turn = messages.filter((m) => m.role === 'assistant' && Array.isArray(m.tool_calls)).length;
  const root = (cwdFromRequest(req.body) ?? '.').replace(/\/$/, '');
  if (turn < LONG_READS)
    return {
      text: 'Reading on.',
      tool_calls: [{ name: 'Read', arguments: { file_path: `${root}/src/lib/module-${turn}.js` } }],
    };
  const file = `${root}/src/math.js`;
  const steps: Reply[] = [
    { tool_calls: [{ name: 'Read', arguments: { file_path: file } }] },
    {
      tool_calls: [
        { name: 'Edit', arguments: { file_path: file, old_string: 'return a - b', new_string: 'return a + b' } },
      ],
    },
    { tool_calls: [{ name: 'Bash', arguments: { command: 'npm test', description: 'Run the tests' } }] },
  ];
  return steps[turn - LONG_READS] ?? { text: 'Read src/lib; fixed add() in src/math.js; tests pass.' };
};

/** Agent turns (requests with tools) of one job, and how many side requests (no tools) the CLI sent. */
async function agentJob(script: Script, modules: number): Promise<{ turns: Turn[]; side: number }> {
  const gateway = await startScriptedGateway({ script, prefixCache: true });
  const repo = createDemoRepo();
  try {
    const { client } = await connectWorker({
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key',
      OFFLOAD_LEDGER: join(dirname(repo), 'ledger.sqlite'),
      SANDBOX_ROOT: dirname(repo),
    });
    mkdirSync(join(repo, 'src/lib'));
    for (let i = 0; i < modules; i++) writeFileSync(join(repo, 'src/lib', `module-${i}.js`), moduleText(i));
    let result = await call(client, 'start', { prompt: DEMO_START_PROMPT, allowed_dirs: [repo], checks: [DEMO_CHECK] });
    while (result.job_status === 'queued' || result.job_status === 'running')
      result = await call(client, 'wait', { job_id: result.job_id, timeout_ms: 60_000 });
    await client.close();
    if (result.job_status !== 'completed') throw new Error(`agent job ended ${String(result.job_status)}`);
    const agent = gateway.requests.filter((r) => r.body?.tools?.length);
    return { turns: turns(agent), side: gateway.requests.length - agent.length };
  } finally {
    await gateway.close();
    rmSync(dirname(repo), { recursive: true, force: true });
  }
}

const TASKS = [
  'List every exported function.',
  'Which function has the largest multiplier?',
  'Summarise what the three modules do, in two sentences.',
  'Find any function whose doc comment disagrees with its body.',
  'Suggest one test for module 2.',
];

async function runJobs(): Promise<Turn[]> {
  const gateway = await startScriptedGateway({ script: () => ({ text: 'Done: see the modules.' }), prefixCache: true });
  const repo = createDemoRepo();
  try {
    const { client } = await connectWorker({
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key',
      OFFLOAD_LEDGER: join(dirname(repo), 'ledger.sqlite'),
      SANDBOX_ROOT: dirname(repo),
    });
    const files = [0, 1, 2].map((i) => join(repo, 'src', `module-${i}.js`));
    files.forEach((f, i) => writeFileSync(f, moduleText(i).repeat(3)));
    for (const task of TASKS) {
      const r = await call(client, 'run_job', { agent: 'mini-worker', task, input_refs: files });
      if (r.job_status !== 'completed') throw new Error(`run_job ended ${JSON.stringify(r).slice(0, 300)}`);
    }
    await client.close();
    return turns(gateway.requests);
  } finally {
    await gateway.close();
    rmSync(dirname(repo), { recursive: true, force: true });
  }
}

const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;

function table(name: string, all: Turn[]): string[] {
  const later = all.slice(1);
  const prices = new PriceBook();
  const sum = (f: (t: Turn) => number) => later.reduce((n, t) => n + f(t), 0);
  const prompt = sum((t) => t.prompt);
  const cached = sum((t) => t.cached);
  const output = sum((t) => t.output);
  const costs = MODELS.map((m) => {
    const c = prices.cost(
      m,
      { input_tokens: prompt - cached, cache_read_tokens: cached, output_tokens: output },
      PRICED_AT,
    );
    const u = prices.cost(m, { input_tokens: prompt, cache_read_tokens: 0, output_tokens: output }, PRICED_AT);
    return `${m}: $${(c / 1e6).toFixed(6)} cached vs $${(u / 1e6).toFixed(6)} uncached (${(u / c).toFixed(2)}×)`;
  });
  return [
    `### ${name}`,
    '',
    '| request | prompt tokens | cached tokens | cached share | previous prompt reused | prefix break (when under 99 %) |',
    '|---:|---:|---:|---:|---:|---|',
    ...all.map(
      (t, i) =>
        `| ${i + 1} | ${t.prompt} | ${t.cached} | ${i === 0 ? '(first)' : pct(t.cached, t.prompt)} | ${t.reused === undefined ? '' : `${(t.reused * 100).toFixed(1)} %`} | ${t.breakAt ?? ''} |`,
    ),
    '',
    `From the 2nd request on: ${prompt} prompt tokens, ${cached} cached (${pct(cached, prompt)}), ${output} output tokens. Cost of those requests — ${costs.join('; ')}.`,
    '',
  ];
}

export async function run(log: (line: string) => void): Promise<string> {
  log('prefix-cache: agent job');
  const agent = await agentJob(unpriced(largerScript), 12);
  log(`prefix-cache: ${JSON.stringify(agent)}`);
  log('prefix-cache: long agent job');
  const long = await agentJob(longScript, LONG_READS);
  log(`prefix-cache: ${JSON.stringify(long)}`);
  log('prefix-cache: 5 run_jobs');
  const jobs = await runJobs();
  log(`prefix-cache: ${JSON.stringify(jobs)}`);
  return [
    '## Prefix cache: cached share of input tokens',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}, with \`npx tsx bench/run.ts prefix-cache\` (built worker over stdio; the scripted`,
    "gateway, a stand-in for the model provider, with `prefixCache: true`: cached tokens = the longest common prefix of the request's",
    '`[tools, messages]` JSON with the same key’s last 16 requests, in bytes / 4; prompt tokens = request body bytes / 4, so the model name,',
    'sampling fields and the new tail of each request are the uncached part). Costs: src/core/pricing.ts (genai-prices), DeepSeek at',
    `${PRICED_AT.toISOString()}. Goal: at least 99 % cached from the 2nd request on. "Previous prompt reused": the share of the previous`,
    "request's serialized prompt that this one begins with; at 100 % the layout is cache-stable, and a share under 99 % is the new tail",
    "(here: the files each Read turn returns, plus, every few turns, Claude Code's mid-conversation reminder, which the adapter keeps",
    'in place as a user turn), which no cache can hold.',
    '',
    ...table(
      `Agent job: the real Claude Code CLI through the adapter (read 12 modules in 3 turns of 4 Reads, fix add, run the tests); agent turns only (the CLI also sent ${agent.side} side requests without tools)`,
      agent.turns,
    ),
    ...table(
      `Long agent job: ${LONG_READS} turns of one Read each, then fix add and run the tests; agent turns only (${long.side} side requests)`,
      long.turns,
    ),
    ...table(
      `Five run_jobs (mini-worker) over the same 3 files (${[0, 1, 2].map((i) => Buffer.byteLength(moduleText(i).repeat(3))).join(', ')} bytes), each with a different task`,
      jobs,
    ),
  ].join('\n');
}
