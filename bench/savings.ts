/**
 * Savings section of BENCHMARKS.md: how much smaller a `start` job's result is than the work
 * behind it. Two jobs run through the built worker (`node dist/worker.js mcp`), the real Claude
 * Code CLI and Offload's adapter, against the scripted gateway (stand-in for the model provider):
 * the demo job (fix one test in a 4-file repo) and a larger job on a 64-file repo (read 12 files in
 * three turns of four parallel Reads, fix the test, run it). Reported per job: the receipt's
 * `returned_bytes` and `transcript_bytes` (src/core/savings.ts: the CLI's stream-json output plus
 * the /v1/messages bodies it sent), the upstream context bytes (every chat-completions body the
 * gateway received, as JSON), and their ratios to the result. Run with `npx tsx bench/run.ts savings`
 * after `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { DEMO_CHECK, DEMO_START_PROMPT } from '../src/cli/demo-project';
import { createDemoRepo } from '../src/cli/demo-repo';
import { cwdFromRequest, demoScript } from '../test/support/demo-script';
import { startScriptedGateway, type RecordedRequest, type Reply, type Script } from '../test/support/scripted-gateway';
import { connectWorker } from '../test/support/worker-client';
import { machine } from './run';

/** The marker name of this section in BENCHMARKS.md. */
export const section = 'savings';

/** Extra modules written into the larger job's repo (the demo project has 4 files). */
const EXTRA_FILES = 60;
const READ_TURNS = 3;
const READS_PER_TURN = 4;

/** A plausible module of ~2.5 KB: a few exported functions with doc comments. */
export function moduleText(i: number): string {
  const fns = Array.from(
    { length: 8 },
    (_, k) =>
      `/**\n * Computes step ${k} of pipeline ${i}: scales the input by ${k + 1} and adds the offset.\n * @param {number} x the input value\n */\nexport function step${k}(x) {\n  return x * ${k + 1} + ${i};\n}\n`,
  );
  return `// src/lib/module-${i}.js — part ${i} of the larger benchmark repo.\n${fns.join('\n')}`;
}

interface Msg {
  role: string;
  content?: unknown;
  tool_calls?: unknown[];
}

/** The larger job's model: READ_TURNS turns of parallel Reads of library modules, then Read → Edit → npm test → answer. */
export const largerScript: Script = (req: RecordedRequest, index: number): Reply => {
  if (!req.body?.tools?.length) return (demoScript as (r: RecordedRequest, i: number) => Reply)(req, index);
  const messages: Msg[] = req.body.messages ?? [];
  const turn = messages.filter((m) => m.role === 'assistant' && Array.isArray(m.tool_calls)).length;
  const failed = messages
    .filter((m) => m.role === 'tool')
    .map((m) => JSON.stringify(m.content))
    .find((t) => /tool_use_error|requires approval|Exit code [1-9]/.test(t));
  const usage = { prompt_tokens: 1500, completion_tokens: 60 };
  if (failed) return { text: `Stopped: a tool failed: ${failed.slice(0, 200)}`, usage };
  const root = (cwdFromRequest(req.body) ?? '.').replace(/\/$/, '');
  if (turn < READ_TURNS) {
    const calls = Array.from({ length: READS_PER_TURN }, (_, k) => ({
      name: 'Read',
      arguments: { file_path: `${root}/src/lib/module-${turn * READS_PER_TURN + k}.js` },
    }));
    return { text: 'Let me survey the library first.', tool_calls: calls, usage };
  }
  const file = `${root}/src/math.js`;
  const steps: Reply[] = [
    { tool_calls: [{ name: 'Read', arguments: { file_path: file } }], usage },
    {
      tool_calls: [
        { name: 'Edit', arguments: { file_path: file, old_string: 'return a - b', new_string: 'return a + b' } },
      ],
      usage,
    },
    { tool_calls: [{ name: 'Bash', arguments: { command: 'npm test', description: 'Run the tests' } }], usage },
  ];
  return steps[turn - READ_TURNS] ?? { text: 'Surveyed src/lib; fixed add() in src/math.js; tests pass.', usage };
};

interface Row {
  job: string;
  files: number;
  requests: number;
  status: string;
  transcript: number;
  upstream: number;
  lastRequest: number;
  firstRequest: number;
  returned: number;
}

// (Not test/support/demo-worker: it pulls in the app, whose execa import needs --conditions=import, and run.ts imports every section.)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as {
    content?: { text?: string }[];
  };
  return JSON.parse(r.content?.[0]?.text ?? 'null');
}

async function measure(job: string, script: Script, extraFiles: number): Promise<Row> {
  const gateway = await startScriptedGateway({ script });
  const repo = createDemoRepo();
  try {
    const { client } = await connectWorker({
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key',
      OFFLOAD_LEDGER: join(dirname(repo), 'ledger.sqlite'),
      SANDBOX_ROOT: dirname(repo),
    });
    if (extraFiles) {
      mkdirSync(join(repo, 'src/lib'));
      for (let i = 0; i < extraFiles; i++) writeFileSync(join(repo, 'src/lib', `module-${i}.js`), moduleText(i));
      execFileSync('git', ['-c', 'user.name=Offload Bench', '-c', 'user.email=bench@offload.invalid', 'add', '-A'], {
        cwd: repo,
      });
      execFileSync(
        'git',
        ['-c', 'user.name=Offload Bench', '-c', 'user.email=bench@offload.invalid', 'commit', '-qm', 'library'],
        { cwd: repo },
      );
    }
    const files = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').length;
    let result = await call(client, 'start', {
      prompt: DEMO_START_PROMPT,
      allowed_dirs: [repo],
      checks: [DEMO_CHECK],
      include_diff: true,
    });
    while (result.job_status === 'queued' || result.job_status === 'running')
      result = await call(client, 'wait', { job_id: result.job_id, timeout_ms: 60_000 });
    await client.close();
    const turns = gateway.requests
      .filter((r) => r.body?.tools?.length)
      .map((r) => Buffer.byteLength(JSON.stringify(r.body), 'utf8'));
    return {
      job,
      files,
      requests: gateway.requests.length,
      status: String(result.job_status),
      transcript: result.savings.transcript_bytes,
      upstream: turns.reduce((a, b) => a + b, 0),
      lastRequest: turns.at(-1) ?? 0,
      firstRequest: turns[0] ?? 0,
      returned: result.savings.returned_bytes,
    };
  } finally {
    await gateway.close();
    rmSync(dirname(repo), { recursive: true, force: true });
  }
}

export async function run(log: (line: string) => void): Promise<string> {
  const rows: Row[] = [];
  for (const [job, script, extra] of [
    ['demo job (fix add, 4-file repo)', demoScript, 0],
    [`larger job (read 12 modules, fix add; ${4 + EXTRA_FILES}-file repo)`, largerScript, EXTRA_FILES],
  ] as const) {
    log(`savings: running the ${job}`);
    const r = await measure(job, script, extra);
    log(`savings: ${JSON.stringify(r)}`);
    rows.push(r);
  }
  const x = (a: number, b: number) => `${(a / b).toFixed(0)}×`;
  return [
    '## Savings receipt: result size against the work behind it',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}, with \`npx tsx bench/run.ts savings\` (built worker over stdio, the real Claude Code CLI,`,
    "Offload's adapter, the scripted gateway). `transcript_bytes` is the receipt's: the CLI's stream-json output plus every /v1/messages body it sent",
    'through the adapter. Upstream context bytes: every chat-completions body the gateway received (agent turns), as JSON. `returned_bytes`: the',
    'result JSON the tool returned (its diff and the receipt included). Goal: a result at least 50× smaller than the transcript.',
    "Both transcript and upstream bytes count the context once per turn, as the models re-read it; the last turn's body holds the whole",
    "conversation once, and is shown too as a conservative ratio. Most of a turn is Claude Code's own system prompt and tool list (the first",
    "turn's body); the work itself (tool results, edits, answers) is the last turn minus the first: the most conservative ratio.",
    '',
    '| job | files in repo | gateway requests | status | returned_bytes | transcript_bytes | upstream context bytes | last turn bytes | work bytes (last − first turn) | transcript ÷ returned | upstream ÷ returned | last turn ÷ returned | work ÷ returned |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.job} | ${r.files} | ${r.requests} | ${r.status} | ${r.returned} | ${r.transcript} | ${r.upstream} | ${r.lastRequest} | ${r.lastRequest - r.firstRequest} | ${x(r.transcript, r.returned)} | ${x(r.upstream, r.returned)} | ${x(r.lastRequest, r.returned)} | ${((r.lastRequest - r.firstRequest) / r.returned).toFixed(1)}× |`,
    ),
  ].join('\n');
}
