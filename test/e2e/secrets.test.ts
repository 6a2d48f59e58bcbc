import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createDemoRepo, removeDemoRepo } from '../../src/cli/demo-repo';
import { toolError, toolJson } from '../support/app-fixture';
import { cwdFromRequest } from '../support/demo-script';
import { waitDone } from '../support/demo-worker';
import {
  startScriptedGateway,
  type RecordedRequest,
  type Reply,
  type ScriptedGateway,
} from '../support/scripted-gateway';
import { connectWorker } from '../support/worker-client';

/** Distinct planted secrets: provider-shaped keys, the MCP token, the adapter key, a .env value, and a host variable nobody allowed. */
const PLANTED = {
  OPENAI_API_KEY: 'sk-plantedOpenAI0001abcdefgh',
  FALLBACK_API_KEY: 'planted-fallback-0002-zz',
  OPENAI_ADMIN_KEY: 'sk-admin-plantedAdmin0003xyz',
  OFFLOAD_MCP_TOKEN: 'planted-mcp-token-0004-qq',
  OFFLOAD_ADAPTER_KEY: 'planted-adapter-key-0005-ww',
  SOME_HOST_VARIABLE: 'planted-host-variable-0006',
};
const DOTENV_VALUE = 'planted-dotenv-value-0007';
const MODEL_LEAK = 'planted-model-echo-0008';
const ALL = [...Object.values(PLANTED), DOTENV_VALUE, MODEL_LEAK, 'planted-private-key-0009', 'planted-npm-token-0010'];

const REVISE_MARK = 'These checks failed after your change';
/** In the question of an analyze or the task of a run_job: the model answers with `NAME_KEY=value` text inside JSON-looking text. */
const ONE_CALL_MARK = 'ONE-CALL-QUESTION';
const KEY_FILE = `-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-private-key-0009\n-----END OPENSSH PRIVATE KEY-----\n`;
const ENV_CHECK = { name: 'env dump', command: 'env | sort; exit 1', timeout_ms: 60_000 };

interface Msg {
  role: string;
  content?: unknown;
  tool_calls?: { function?: { name?: string } }[];
}
const text = (c: unknown): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p.text ?? '').join('') : '';

/**
 * The model: Read src/math.js (allowed), Read .env (must be refused), then try a Bash command that no check allows (must be
 * refused), then answer with a text holding `NAME_KEY=value`. On the revise pass (the env dump of
 * the failing check in its prompt) it answers at once.
 */
function hostileModel(req: RecordedRequest): Reply {
  const usage = { prompt_tokens: 1000, completion_tokens: 30 };
  const messages: Msg[] = req.body.messages ?? [];
  const leak = `MODEL_SERVICE_API_KEY=${MODEL_LEAK} and OPENAI_API_KEY=${MODEL_LEAK}`;
  if (JSON.stringify(req.body.messages).includes(ONE_CALL_MARK))
    return { text: `{"answer": "see below"} "${leak}"}`, usage };
  if (!req.body.tools?.length) return { text: '{"title":"Secrets"}', usage };
  const reviseAt = messages.findLastIndex((m) => m.role === 'user' && text(m.content).includes(REVISE_MARK));
  if (reviseAt >= 0) return { text: `Nothing more to do. ${leak}`, usage };
  const cwd = cwdFromRequest(req.body) ?? '.';
  const steps = messages.filter((m) => m.role === 'tool').length;
  const plan: Reply[] = [
    { tool_calls: [{ name: 'Read', arguments: { file_path: `${cwd}/src/math.js` } }], usage },
    { tool_calls: [{ name: 'Read', arguments: { file_path: `${cwd}/.env` } }], usage },
    {
      tool_calls: [
        {
          name: 'Bash',
          arguments: {
            command: `node -e "require('fs').writeFileSync('pwned.txt', process.env.ANTHROPIC_API_KEY)"`,
            description: 'not allowed',
          },
        },
      ],
      usage,
    },
  ];
  return plan[steps] ?? { text: `Done. ${leak}`, usage };
}

/** Every tool message the gateway saw, with the tool name it answers. */
function toolResults(requests: RecordedRequest[]): { name: string; text: string }[] {
  const last = requests.filter((r) => r.body.tools?.length).at(-1);
  const messages: Msg[] = last?.body.messages ?? [];
  const names = messages.flatMap((m) =>
    m.role === 'assistant' ? (m.tool_calls ?? []).map((c) => c.function?.name ?? '') : [],
  );
  return messages.filter((m) => m.role === 'tool').map((m, i) => ({ name: names[i] ?? '', text: text(m.content) }));
}

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name)) : d.isFile() ? [join(dir, d.name)] : [],
  );
}

function assertNoSecret(where: string, haystack: string): void {
  for (const s of ALL) assert.ok(!haystack.includes(s), `${where} holds the planted secret ${s}`);
}

describe('@real-cli end to end: no planted secret leaves through a real Claude Code job', function () {
  this.timeout(240_000);
  let gateway: ScriptedGateway;
  let repo: string;
  let logDir: string;
  let client: Client;
  let stderr: () => string;

  before(async () => {
    gateway = await startScriptedGateway({ script: hostileModel });
    repo = createDemoRepo();
    writeFileSync(join(repo, '.env'), `GREETING=${DOTENV_VALUE}\n`);
    writeFileSync(join(repo, 'deploy.key'), KEY_FILE);
    writeFileSync(join(repo, '.npmrc'), '//registry.example/:_authToken=planted-npm-token-0010\n');
    logDir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-secrets-logs-')));
    ({ client, stderr } = await connectWorker({
      ...PLANTED,
      OPENAI_BASE_URL: gateway.url,
      OFFLOAD_LEDGER: join(dirname(repo), 'ledger.sqlite'),
      SANDBOX_ROOT: dirname(repo),
      WORKER_METRICS_FILE: join(logDir, 'metrics.jsonl'),
      BREAKER_COSTS_URL: `${gateway.url}/organization/costs`,
      BREAKER_POLL_MS: '3600000',
    }));
  });
  after(async () => {
    await client?.close();
    await gateway?.close();
    rmSync(logDir, { recursive: true, force: true });
    if (repo) removeDemoRepo(repo);
  });

  it('runs a job whose check prints its environment and whose model reads .env and echoes keys: nothing planted reaches the model, a result, tail, metrics, the ledger or stderr', async () => {
    const started = toolJson(
      await client.callTool({
        name: 'start',
        arguments: { prompt: 'Look around.', allowed_dirs: [repo], checks: [ENV_CHECK], max_revisions: 1 },
      }),
    );
    const result = await waitDone(client, started.job_id);
    const tail = await client.callTool({ name: 'tail', arguments: { job_id: started.job_id, lines: 500 } });
    const get = await client.callTool({ name: 'get', arguments: { job_id: started.job_id } });

    // The job ended (a NAME_KEY=value answer no longer corrupts the result) and says what the model said, redacted.
    assert.equal(result.job_status, 'failed', JSON.stringify(result));
    assert.equal(result.revisions, 1);
    assert.match(JSON.stringify(result), /MODEL_SERVICE_API_KEY=\[REDACTED\]/);

    // Claude Code's own permission rules refused the Read of .env and the unlisted Bash command.
    const results = toolResults(gateway.requests);
    const [ordinary, read] = results.filter((r) => r.name === 'Read');
    assert.ok(ordinary && read, JSON.stringify(results));
    assert.match(ordinary.text, /function add/, 'an ordinary file is still readable');
    assert.match(read.text, /denied by your permission settings/i, read.text);
    const bash = results.find((r) => r.name === 'Bash');
    assert.ok(bash && /requires approval|denied|permission|haven't granted/i.test(bash.text), JSON.stringify(bash));
    assert.equal(existsSync(join(repo, 'pwned.txt')), false);

    // The check ran with the minimal environment, and its dump reached the revise prompt.
    const revise = gateway.requests.find((r) => JSON.stringify(r.body.messages).includes(REVISE_MARK));
    assert.ok(revise, 'a revise pass reached the gateway');
    const dump = (revise.body.messages as Msg[]).map((m) => text(m.content)).find((t) => t.includes(REVISE_MARK)) ?? '';
    assert.match(dump, /PATH=/);
    assert.match(dump, /HOME=/);
    assert.doesNotMatch(dump, /SOME_HOST_VARIABLE|OPENAI_API_KEY=|OFFLOAD_MCP_TOKEN/);

    assertNoSecret('a request sent upstream', JSON.stringify(gateway.requests.map((r) => r.body)));
    assertNoSecret('a tool result', JSON.stringify([started, result, tail, get]));
    assertNoSecret('the metrics file', readFileSync(join(logDir, 'metrics.jsonl'), 'utf8'));
    const ledgerFiles = filesUnder(dirname(repo)).filter((p) => p.slice(dirname(repo).length + 1).startsWith('ledger'));
    assert.ok(ledgerFiles.length >= 1, 'the ledger is on disk');
    if (process.env.OFFLOAD_TEST_DEBUG)
      console.log({
        ledgerFiles,
        read: read.text,
        bash: bash.text,
        dump: dump.slice(0, 2000),
        stderr: stderr().slice(0, 3000),
      });
    for (const p of ledgerFiles) assertNoSecret(`ledger file ${p}`, readFileSync(p).toString('latin1'));
    assertNoSecret('the worker stderr', stderr());
  });

  it('refuses a check command that would widen the Claude Code permission rule, naming the field, before anything is spent', async () => {
    const before = toolJson(await client.callTool({ name: 'get_spend_stats', arguments: {} }));
    const err = toolError(
      await client.callTool({
        name: 'start',
        arguments: {
          prompt: 'x',
          allowed_dirs: [repo],
          checks: [{ name: 'hostile', command: 'true), Bash, Bash(true', timeout_ms: 1000 }],
        },
      }),
    );
    assert.match(err, /checks\[0\]\.command: holds "\)"/);
    const after = toolJson(await client.callTool({ name: 'get_spend_stats', arguments: {} }));
    assert.equal(after.current_month, before.current_month);
  });

  it('analyze on a folder holding .env, a key file and .npmrc reads the other files and none of those, and a NAME_KEY=value answer comes back as valid, redacted JSON', async () => {
    const r = toolJson(
      await client.callTool({
        name: 'analyze',
        arguments: { question: `${ONE_CALL_MARK} what is here?`, paths: [repo] },
      }),
    );
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.ok(r.files_read.includes('project/src/math.js'), JSON.stringify(r.files_read));
    for (const f of ['project/.env', 'project/deploy.key', 'project/.npmrc']) assert.ok(!r.files_read.includes(f), f);
    assert.match(r.output, /MODEL_SERVICE_API_KEY=\[REDACTED\]/);
    const sent = JSON.stringify(gateway.requests.at(-1)!.body);
    assert.match(sent, /function add/);
    assertNoSecret('the analyze request', sent);
    assertNoSecret('the analyze result', JSON.stringify(r));
  });

  const asked: [string, string, string][] = [
    ['analyze', 'paths[0]', '.env'],
    ['analyze', 'paths[0]', 'deploy.key'],
    ['run_job', 'input_refs[0]', '.npmrc'],
    ['run_job', 'input_refs[0]', '.env'],
  ];
  for (const [tool, field, file] of asked) {
    it(`${tool} refuses ${file} by name when it is asked for explicitly (${field}), before any call`, async () => {
      const calls = gateway.requests.length;
      const args =
        tool === 'analyze'
          ? { question: 'q', paths: [join(repo, file)] }
          : { agent: 'mini-worker', task: 't', input_refs: [join(repo, file)] };
      const err = toolError(await client.callTool({ name: tool, arguments: args }));
      assert.match(
        err,
        new RegExp(
          `^${field.replace(/[[\]]/g, '\\$&')}: .*${file.replace('.', '\\.')} is a secret or credential file.*OFFLOAD_READ_SECRET_FILES=1`,
        ),
      );
      assert.equal(gateway.requests.length, calls);
    });
  }

  it('run_job: a model answer holding NAME_KEY=value completes with a valid, redacted result (it used to corrupt the JSON and leave the job running)', async () => {
    const r = toolJson(
      await client.callTool({
        name: 'run_job',
        arguments: { agent: 'mini-worker', task: `${ONE_CALL_MARK} echo`, input_refs: [join(repo, 'src/math.js')] },
      }),
    );
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.equal(r.output, '{"answer": "see below"} "MODEL_SERVICE_API_KEY=[REDACTED] and OPENAI_API_KEY=[REDACTED]"}');
    const got = toolJson(await client.callTool({ name: 'get', arguments: { job_id: r.job_id } }));
    assert.equal(got.job_status, 'completed');
    assertNoSecret('the run_job result', JSON.stringify([r, got]));
  });

  it('leaves no planted secret in the ledger files, metrics or stderr after all of the above', () => {
    for (const p of filesUnder(dirname(repo)).filter((f) => f.slice(dirname(repo).length + 1).startsWith('ledger')))
      assertNoSecret(`ledger file ${p}`, readFileSync(p).toString('latin1'));
    assertNoSecret('the metrics file', readFileSync(join(logDir, 'metrics.jsonl'), 'utf8'));
    assertNoSecret('the worker stderr', stderr());
    assertNoSecret('a request sent upstream', JSON.stringify(gateway.requests.map((r) => r.body)));
  });
});

describe('@real-cli end to end: the .env denial comes from the job settings Offload starts Claude Code with', function () {
  this.timeout(120_000);

  it('with OFFLOAD_READ_SECRET_FILES=1 the same Read of .env succeeds (so the refusal above is the deny rule, not the CLI default)', async () => {
    const gateway = await startScriptedGateway({
      script: (req) => {
        const usage = { prompt_tokens: 100, completion_tokens: 10 };
        if (!req.body.tools?.length) return { text: '{"title":"x"}', usage };
        const done = (req.body.messages as Msg[]).some((m) => m.role === 'tool');
        return done
          ? { text: 'read it', usage }
          : {
              tool_calls: [{ name: 'Read', arguments: { file_path: `${cwdFromRequest(req.body) ?? '.'}/.env` } }],
              usage,
            };
      },
    });
    const repo = createDemoRepo();
    writeFileSync(join(repo, '.env'), 'GREETING=allowed-dotenv-value\n');
    const { client } = await connectWorker({
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key',
      OFFLOAD_LEDGER: join(dirname(repo), 'ledger.sqlite'),
      SANDBOX_ROOT: dirname(repo),
      OFFLOAD_READ_SECRET_FILES: '1',
    });
    try {
      const started = toolJson(
        await client.callTool({ name: 'start', arguments: { prompt: 'read .env', allowed_dirs: [repo] } }),
      );
      const result = await waitDone(client, started.job_id);
      assert.equal(result.job_status, 'completed', JSON.stringify(result));
      const read = toolResults(gateway.requests).find((r) => r.name === 'Read');
      assert.ok(read && read.text.includes('allowed-dotenv-value'), JSON.stringify(read));
    } finally {
      await client.close();
      await gateway.close();
      removeDemoRepo(repo);
    }
  });
});
