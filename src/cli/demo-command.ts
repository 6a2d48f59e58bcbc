import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { DEMO_CHECK, DEMO_START_PROMPT, DEMO_SUMMARY_TASK } from './demo-project';
import { createDemoRepo, removeDemoRepo, testsPass } from './demo-repo';
import { checkDemoSpend, type ReportedCall } from './demo-spend';

/** Parses a tool result's JSON text; throws with the tool's own text when it was a tool error. */
function toolJson(result: unknown): Record<string, unknown> {
  const r = result as { isError?: boolean; content?: { type: string; text?: string }[] };
  const text = r.content?.find((c) => c.type === 'text')?.text ?? '';
  if (r.isError) throw new Error(`tool error: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Starts dist/scripted-gateway.js (the stand-in for the model provider) and returns its URL. */
async function startScriptedGateway(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(__dirname, 'scripted-gateway.js'), '--script', 'demo', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`scripted gateway exited with ${code}`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  return { url, stop: () => child.kill() };
}

/** One line reading a result's savings receipt (src/core/savings.ts), for people. */
function receiptLine(tool: string, savings: unknown): string {
  const s = (savings ?? {}) as Record<string, number | string>;
  const ratio = Number(s.returned_bytes) > 0 ? (Number(s.transcript_bytes) / Number(s.returned_bytes)).toFixed(1) : '?';
  return (
    `demo: ${tool} receipt: returned ${s.returned_bytes} bytes for a ${s.transcript_bytes}-byte transcript (transcript ÷ result: ${ratio}×), ` +
    `~${s.caller_tokens_avoided} tokens the caller did not read; cost $${s.cost_usd} vs $${s.reference_cost_usd} on ${s.reference_model}: saved $${s.saved_usd}`
  );
}

/**
 * `offload-worker demo`: the main job, end to end, as an MCP client would run it. Without an API
 * key it starts the scripted gateway (a stand-in for the model provider, labelled as such) and a
 * temporary ledger; with OPENAI_API_KEY or ONEAPI_API_KEY/ONEAPI_BASE_URL it uses that provider and
 * the user's ledger. The sample repo (and its temporary ledger) is removed at the end. Exit code 0 only when the job completed, the tests pass and the spend adds up.
 */
export async function runDemoCommand(): Promise<number> {
  const scripted = !(process.env.OPENAI_API_KEY || process.env.ONEAPI_API_KEY);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const gateway = scripted ? await startScriptedGateway() : undefined;
  const repo = createDemoRepo();
  const env: Record<string, string> = { ...(process.env as Record<string, string>), SANDBOX_ROOT: dirname(repo) };
  if (gateway) {
    say(
      `demo: using the scripted gateway at ${gateway.url} — a stand-in for the model provider, no real model is called`,
    );
    Object.assign(env, {
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-gateway-key',
      OFFLOAD_LEDGER: join(dirname(repo), 'ledger.sqlite'),
    });
  } else {
    say(
      `demo: using the provider at ${process.env.ONEAPI_BASE_URL ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'}`,
    );
  }
  say(`demo: sample repo ${repo} (its test fails: ${testsPass(repo) ? 'no?!' : 'yes'})`);
  const client = new Client({ name: 'offload-demo', version: '0.1.0' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [process.argv[1]!, 'mcp'], env, stderr: 'inherit' }),
  );
  try {
    say('demo: start → Claude Code fixes the failing test through the adapter');
    const started = toolJson(
      await client.callTool({
        name: 'start',
        arguments: { prompt: DEMO_START_PROMPT, allowed_dirs: [repo], checks: [DEMO_CHECK], include_diff: true },
      }),
    );
    const jobId = String(started.job_id);
    let result = started;
    while (result.job_status === 'queued' || result.job_status === 'running') {
      result = toolJson(
        await client.callTool({ name: 'wait', arguments: { job_id: jobId, timeout_ms: 30_000 } }, undefined, {
          timeout: 120_000,
        }),
      );
    }
    const tail = toolJson(await client.callTool({ name: 'tail', arguments: { job_id: jobId, lines: 20 } }));
    say((tail.lines as string[]).map((l) => `  | ${l}`).join('\n'));
    say(
      JSON.stringify(
        {
          job_id: jobId,
          job_status: result.job_status,
          changed_files: result.changed_files,
          checks: result.checks,
          cost_usd: result.cost_usd,
          usage: result.usage,
          forecast: started.forecast,
          savings: result.savings,
        },
        null,
        2,
      ),
    );
    say(receiptLine('start', result.savings));
    say(`demo: run_job mini-worker → summary of src/math.js`);
    const summary = toolJson(
      await client.callTool({
        name: 'run_job',
        arguments: { agent: 'mini-worker', task: DEMO_SUMMARY_TASK, input_refs: [join(repo, 'src/math.js')] },
      }),
    );
    say(
      JSON.stringify(
        {
          job_status: summary.job_status,
          model: summary.model,
          output: summary.output,
          cost_usd: summary.cost_usd,
          forecast: summary.forecast,
          savings: summary.savings,
        },
        null,
        2,
      ),
    );
    say(receiptLine('run_job', summary.savings));
    const stats = toolJson(await client.callTool({ name: 'get_spend_stats', arguments: {} }));
    say(`demo: get_spend_stats\n${JSON.stringify(stats, null, 2)}`);
    const passing = testsPass(repo);
    say(`demo: the sample repo's test passes afterwards: ${passing ? 'yes' : 'NO'}`);
    let spendOk = true;
    if (gateway) {
      const calls = (await (await fetch(`${gateway.url}/_scripted/requests`)).json()) as ReportedCall[];
      const check = checkDemoSpend(calls, Number(stats.current_month));
      spendOk = check.ok;
      say(
        `demo: ledger spend ${check.ledgerUsd} USD ${check.ok ? '=' : '≠'} scripted usage × price ${check.expectedUsd} USD (${check.calls} calls)`,
      );
    }
    const ok = result.job_status === 'completed' && summary.job_status === 'completed' && passing && spendOk;
    say(ok ? 'demo: OK' : 'demo: FAILED');
    return ok ? 0 : 1;
  } finally {
    await client.close();
    gateway?.stop();
    removeDemoRepo(repo);
    say(`demo: removed the sample repo ${dirname(repo)}`);
  }
}
