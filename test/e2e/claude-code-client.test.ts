import { strict as assert } from 'node:assert';
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createLedgerMeter } from '../../src/adapter/ledger-meter';
import { startAdapterServer, type AdapterServer } from '../../src/adapter/server';
import { createUpstream } from '../../src/adapter/upstream';
import { parseConfig } from '../../src/core/config';
import { PriceBook } from '../../src/core/pricing';
import type { Ledger } from '../../src/ledger/ledger';
import { openLedger, openMemoryLedger } from '../../src/ledger/sqlite-ledger';
import { API_KEY_PLACEHOLDER, mcpClientConfig, workerEnv } from '../../src/vscode/mcp-client-config';
import { startScriptedGateway, type ScriptedGateway, type Script } from '../support/scripted-gateway';
import { WORKER } from '../support/worker-client';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const claude = join(ROOT, 'node_modules/.bin/claude');
/** The key OPENAI_API_KEY_COMMAND prints; the worker's gateway refuses every other key. */
const KEY = 'scripted-key';

interface McpEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}
interface Msg {
  role: string;
  content?: unknown;
}

/**
 * The Claude Code `.mcp.json` block exactly as README.md shows it: the first ```json block under
 * "## Use it from Codex, Claude Code or Cursor". Throws naming what is missing, so a reworded
 * README fails here rather than testing some other JSON.
 */
function readmeSnippet(): { mcpServers: { offload: McpEntry } } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Use it from Codex, Claude Code or Cursor$/m)[1]?.split(/^## /m)[0];
  ok(section, 'README.md has no "## Use it from Codex, Claude Code or Cursor" section');
  const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  ok(block, 'that section has no ```json block');
  return JSON.parse(block);
}

/**
 * README's snippet made concrete the way a user pastes it: the placeholder install path becomes
 * this checkout, the key command prints {@link KEY}, the sandbox is `sandbox`; plus the scripted
 * gateway and a temporary ledger. Every other field is README's own.
 */
function pastedConfig(
  sandbox: string,
  gatewayUrl: string,
  ledger: string,
  keyCommand = `echo ${KEY}`,
): { mcpServers: { offload: McpEntry } } {
  const snippet = readmeSnippet();
  const entry = snippet.mcpServers.offload;
  const args = entry.args.map((a) => a.replace('/path/to/offload', ROOT));
  deepStrictEqual(args, [WORKER, 'mcp'], 'README\'s args are not "<install path>/dist/worker.js mcp"');
  deepStrictEqual(Object.keys(entry.env).sort(), ['MONTHLY_BUDGET', 'OPENAI_API_KEY_COMMAND', 'SANDBOX_ROOT']);
  const env = {
    ...entry.env,
    OPENAI_API_KEY_COMMAND: keyCommand,
    SANDBOX_ROOT: sandbox,
    OPENAI_BASE_URL: gatewayUrl,
    OFFLOAD_LEDGER: ledger,
  };
  return { mcpServers: { offload: { ...entry, args, env } } };
}

/**
 * The calling agent's model: on the first request that offers `mcp__offload__<tool>` it calls it
 * with `args`; once a tool result is in the messages it answers with a text quoting it. A request
 * without that tool gets a text naming the tools it had, so the CLI's result says what went wrong.
 */
function callingModel(tool: string, args: object): Script {
  const name = `mcp__offload__${tool}`;
  return (req) => {
    const messages: Msg[] = req.body.messages;
    const result = messages.find((m) => m.role === 'tool');
    if (result)
      return {
        text: `Offload answered: ${String(result.content).slice(0, 300)}`,
        usage: { prompt_tokens: 2000, completion_tokens: 20 },
      };
    const tools: string[] = (req.body.tools ?? []).map((t: { function: { name: string } }) => t.function.name);
    if (!tools.includes(name))
      return {
        text: `no ${name} among the tools: ${tools.filter((t) => t.startsWith('mcp__')).join(', ') || 'none from MCP'}`,
      };
    return { tool_calls: [{ name, arguments: args }], usage: { prompt_tokens: 2000, completion_tokens: 30 } };
  };
}

describe("@real-cli README's Claude Code snippet, pasted: the real Claude Code CLI calls Offload through it", function () {
  this.timeout(90_000);
  let dir: string;
  let project: string;
  let home: string;
  let sandbox: string;
  let model: ScriptedGateway;
  let worker: ScriptedGateway;
  let adapterLedger: Ledger;
  let adapter: AdapterServer;
  let adapterKey: string;

  before(function () {
    assert.ok(
      existsSync(claude),
      'the real Claude Code CLI is missing from node_modules/.bin: run npm install (@anthropic-ai/claude-code is a devDependency)',
    );
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run node esbuild.mjs first`);
  });

  beforeEach(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-snippet-')));
    project = join(dir, 'project');
    sandbox = join(dir, 'sandbox');
    home = join(dir, 'home');
    for (const d of [project, sandbox, home]) mkdirSync(d);
    worker = await startScriptedGateway({
      apiKey: KEY,
      script: () => ({ text: 'notes.txt lists three chores.', usage: { prompt_tokens: 400, completion_tokens: 12 } }),
    });
    model = await startScriptedGateway({ script: [] });
    adapterLedger = await openMemoryLedger({ caps: { monthlyMicros: 10_000_000, dailyMicros: null } });
    await adapterLedger.createJob({
      id: 'caller',
      kind: 'claude-code',
      model: 'gw-model',
      request: {},
      status: 'running',
    });
    const meter = createLedgerMeter(
      adapterLedger,
      new PriceBook({ 'gw-model': { input_mtok: 0.1, output_mtok: 0.2 } }),
    );
    adapterKey = meter.register({ jobId: 'caller', model: 'gw-model' });
    adapter = await startAdapterServer({
      meter,
      upstream: createUpstream({ primary: { baseURL: model.url, apiKey: 'model-key' } }),
      perJobTokenLimit: 8192,
    });
  });

  afterEach(async () => {
    await adapter?.close();
    await model?.close();
    await worker?.close();
    await adapterLedger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI in the project with `args`, in a minimal environment: no OPENAI_API_KEY, so the worker can only get its key from OPENAI_API_KEY_COMMAND. */
  function claudeCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run(claude, args, {
      cwd: project,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        CLAUDE_CONFIG_DIR: home,
        TMPDIR: tmpdir(),
        ANTHROPIC_BASE_URL: adapter.url,
        ANTHROPIC_API_KEY: adapterKey,
        CLAUDE_CODE_MAX_RETRIES: '0',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_AUTOUPDATER: '1',
      },
    });
  }

  /**
   * Writes `config` (unless null) as the project's `.mcp.json` (and `userSettings` as Claude Code's user
   * settings.json) and runs `claude -p` in the project with `flags` ({@link claudeCli}).
   */
  async function claudeCalls(
    config: object | null,
    flags: string[],
    userSettings?: object,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- CLI events
  ): Promise<{ events: any[]; result: any; init: any }> {
    if (config) writeFileSync(join(project, '.mcp.json'), JSON.stringify(config, null, 2));
    if (userSettings) writeFileSync(join(home, 'settings.json'), JSON.stringify(userSettings));
    const { stdout } = await claudeCli([
      '-p',
      'Use Offload for this.',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
      'sonnet',
      '--no-session-persistence',
      ...flags,
    ]);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    return {
      events,
      result: events.find((e) => e.type === 'result'),
      init: events.find((e) => e.type === 'system' && e.subtype === 'init'),
    };
  }

  /**
   * What the worker wrote to stderr, as Claude Code logged it (2.1.197 keeps one JSON line per
   * event in `$HOME/.cache/claude-cli-nodejs/<project>/mcp-logs-offload/`).
   */
  function workerLog(): string {
    const base = join(home, '.cache', 'claude-cli-nodejs');
    const files = existsSync(base)
      ? readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((f) =>
          /mcp-logs-offload[/\\].*\.jsonl$/.test(f),
        )
      : [];
    ok(files.length > 0, `Claude Code wrote no mcp-logs-offload log under ${base}`);
    return files.map((f) => readFileSync(join(base, f), 'utf8')).join('');
  }

  /** The tool result the calling model got back (the last `role: "tool"` message of its last request), parsed. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tool JSON
  function toolResult(): { text: string; json: any } {
    const last = model.requests.at(-1)?.body.messages as Msg[];
    const text = String(last.filter((m) => m.role === 'tool').at(-1)?.content);
    return { text, json: JSON.parse(text) };
  }

  it("get_spend_stats through --mcp-config: the worker starts from the pasted JSON, takes its key from OPENAI_API_KEY_COMMAND and reports README's MONTHLY_BUDGET", async () => {
    model.setScript(callingModel('get_spend_stats', {}));
    const { init, result } = await claudeCalls(pastedConfig(sandbox, worker.url, join(dir, 'ledger.sqlite')), [
      '--mcp-config',
      join(project, '.mcp.json'),
      '--strict-mcp-config',
      '--allowedTools',
      'mcp__offload',
    ]);
    deepStrictEqual(init?.mcp_servers, [{ name: 'offload', status: 'connected' }], JSON.stringify(init?.mcp_servers));
    strictEqual(result?.is_error, false, JSON.stringify(result));
    strictEqual(model.requests.length, 2, result?.result);
    const stats = toolResult().json;
    strictEqual(stats.total_budget, Number(readmeSnippet().mcpServers.offload.env.MONTHLY_BUDGET));
    deepStrictEqual(
      [stats.current_month, stats.reserved, stats.breaker?.state],
      [0, 0, 'closed'],
      JSON.stringify(stats),
    );
    strictEqual(result.result, `Offload answered: ${toolResult().text.slice(0, 300)}`);
    ok(!workerLog().includes('OPENAI_API_KEY_COMMAND'), workerLog());
    strictEqual(worker.requests.length, 0, 'get_spend_stats makes no paid call');
  });

  it("run_job with mini-worker from the project's .mcp.json, allowed as README says: a paid call with the command's key, its spend in the pasted ledger", async () => {
    writeFileSync(join(sandbox, 'notes.txt'), 'buy milk\nwater plants\ncall mum\n');
    model.setScript(
      callingModel('run_job', {
        agent: 'mini-worker',
        task: 'Summarize notes.txt in one line.',
        input_refs: [join(sandbox, 'notes.txt')],
      }),
    );
    const ledgerPath = join(dir, 'ledger.sqlite');
    const { init, result } = await claudeCalls(pastedConfig(sandbox, worker.url, ledgerPath), [], {
      permissions: { allow: ['mcp__offload'] },
    });
    deepStrictEqual(init?.mcp_servers, [{ name: 'offload', status: 'connected' }], JSON.stringify(init?.mcp_servers));
    strictEqual(result?.is_error, false, JSON.stringify(result));
    strictEqual(model.requests.length, 2, result?.result);
    const job = toolResult().json;
    deepStrictEqual([job.job_status, job.output], ['completed', 'notes.txt lists three chores.'], JSON.stringify(job));
    strictEqual(worker.requests.length, 1);
    strictEqual(worker.requests[0]!.headers.authorization, `Bearer ${KEY}`);
    ok(
      JSON.stringify(worker.requests[0]!.body.messages).includes('water plants'),
      'the input_ref reached the worker model',
    );
    ok(job.cost_usd > 0, JSON.stringify(job));
    const ledger = await openLedger(ledgerPath, { caps: { monthlyMicros: 25e6, dailyMicros: null } });
    try {
      const stats = await ledger.spendStats();
      deepStrictEqual(
        [stats.current_month, stats.reservations_in_flight, stats.by_model['gpt-4o-mini']?.calls],
        [job.cost_usd, 0, 1],
        JSON.stringify(stats),
      );
    } finally {
      await ledger.close();
    }
  });

  it('claude mcp add-json offload with the object under "offload": listed as connected, and -p calls get_spend_stats through it; the whole block is refused', async () => {
    const pasted = pastedConfig(sandbox, worker.url, join(dir, 'ledger.sqlite'));
    const whole = await claudeCli(['mcp', 'add-json', 'offload', JSON.stringify(pasted)]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    deepStrictEqual([whole?.code, whole?.stderr.trim()], [1, 'Invalid configuration: : Invalid input']);
    await claudeCli(['mcp', 'add-json', 'offload', JSON.stringify(pasted.mcpServers.offload)]);
    const list = await claudeCli(['mcp', 'list']);
    ok(list.stdout.includes(`offload: node ${WORKER} mcp - ✔ Connected`), list.stdout);
    model.setScript(callingModel('get_spend_stats', {}));
    const { init, result } = await claudeCalls(null, ['--allowedTools', 'mcp__offload']);
    deepStrictEqual(init?.mcp_servers, [{ name: 'offload', status: 'connected' }], JSON.stringify(init?.mcp_servers));
    strictEqual(result?.is_error, false, JSON.stringify(result));
    strictEqual(toolResult().json.total_budget, Number(readmeSnippet().mcpServers.offload.env.MONTHLY_BUDGET));
  });

  it("the JSON Copy MCP Config for Claude Code writes works the same once its key placeholder is replaced: run_job spends on the window's ledger and cap", async () => {
    writeFileSync(join(sandbox, 'notes.txt'), 'buy milk\nwater plants\n');
    model.setScript(
      callingModel('run_job', {
        agent: 'mini-worker',
        task: 'Summarize notes.txt.',
        input_refs: [join(sandbox, 'notes.txt')],
      }),
    );
    const ledgerPath = join(dir, 'window-ledger.sqlite');
    const window = parseConfig({ sandboxRoots: [sandbox], ledgerPath, monthlyBudgetUsd: 7, openaiBaseUrl: worker.url });
    const copied = JSON.parse(mcpClientConfig('claude-code', WORKER, workerEnv(window, new Set(['openaiBaseUrl']))));
    strictEqual(copied.mcpServers.offload.env.OPENAI_API_KEY_COMMAND, API_KEY_PLACEHOLDER);
    copied.mcpServers.offload.env.OPENAI_API_KEY_COMMAND = `echo ${KEY}`;
    const { result } = await claudeCalls(copied, [
      '--mcp-config',
      join(project, '.mcp.json'),
      '--strict-mcp-config',
      '--allowedTools',
      'mcp__offload',
    ]);
    strictEqual(result?.is_error, false, JSON.stringify(result));
    const job = toolResult().json;
    strictEqual(job.job_status, 'completed', JSON.stringify(job));
    deepStrictEqual(
      worker.requests.map((r) => r.headers.authorization),
      [`Bearer ${KEY}`],
    );
    const ledger = await openLedger(ledgerPath, { caps: { monthlyMicros: 7e6, dailyMicros: null } });
    try {
      const stats = await ledger.spendStats();
      deepStrictEqual([stats.total_budget, stats.current_month], [7, job.cost_usd], JSON.stringify(stats));
    } finally {
      await ledger.close();
    }
  });

  it('without the allow rule, claude -p refuses the call ("haven\'t granted it yet"): no job, no paid call', async () => {
    writeFileSync(join(sandbox, 'notes.txt'), 'buy milk\n');
    model.setScript(
      callingModel('run_job', {
        agent: 'mini-worker',
        task: 'Summarize notes.txt.',
        input_refs: [join(sandbox, 'notes.txt')],
      }),
    );
    const { init, result } = await claudeCalls(pastedConfig(sandbox, worker.url, join(dir, 'ledger.sqlite')), []);
    deepStrictEqual(init?.mcp_servers, [{ name: 'offload', status: 'connected' }], JSON.stringify(init?.mcp_servers));
    deepStrictEqual(
      result?.permission_denials?.map((d: { tool_name: string }) => d.tool_name),
      ['mcp__offload__run_job'],
      JSON.stringify(result),
    );
    ok(
      /requested permissions to use mcp__offload__run_job, but you haven't granted it yet/.test(result.result),
      result.result,
    );
    strictEqual(worker.requests.length, 0);
  });

  it('a failing OPENAI_API_KEY_COMMAND: the worker exits naming the variable, Claude Code shows offload failed and offers none of its tools', async () => {
    model.setScript(callingModel('get_spend_stats', {}));
    const { init, result } = await claudeCalls(
      pastedConfig(sandbox, worker.url, join(dir, 'ledger.sqlite'), 'exit 3'),
      ['--mcp-config', join(project, '.mcp.json'), '--strict-mcp-config', '--allowedTools', 'mcp__offload'],
    );
    deepStrictEqual(init?.mcp_servers, [{ name: 'offload', status: 'failed' }], JSON.stringify(init?.mcp_servers));
    ok(workerLog().includes('OPENAI_API_KEY_COMMAND: the command failed (exit 3)'), workerLog());
    strictEqual(model.requests.length, 1);
    ok(/^no mcp__offload__get_spend_stats among the tools: none from MCP/.test(result?.result), result?.result);
    deepStrictEqual([worker.requests.length, existsSync(join(dir, 'ledger.sqlite'))], [0, false]);
  });
});
