import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { startAnthropicProbe } from '../../support/anthropic-probe';
import {
  DEMO_FINAL_TEXT,
  DEMO_PROJECT,
  DEMO_PROMPT,
  DEMO_USAGE,
  cwdFromRequest,
  demoScript,
  summaryReply,
} from '../../support/demo-script';
import { deciderFromScript } from '../../support/probe-bridge';
import type { RecordedRequest, Reply } from '../../support/scripted-gateway';

const CLAUDE = resolve('node_modules/.bin/claude');
const system = {
  role: 'system',
  content: "You are a Claude agent, built on Anthropic's Claude Agent SDK.\n - Primary working directory: /w/proj\n",
};
const tools = [{ type: 'function', function: { name: 'Read', parameters: {} } }];
const req = (messages: object[], withTools = true): RecordedRequest => ({
  body: { model: 'm', messages, ...(withTools ? { tools } : {}) },
  headers: {},
  path: '/v1/chat/completions',
  at: 0,
});
const call = (name: string) => ({
  role: 'assistant',
  content: null,
  tool_calls: [{ id: name, type: 'function', function: { name, arguments: '{}' } }],
});
const play = (r: RecordedRequest): Reply =>
  typeof demoScript === 'function' ? demoScript(r, 0) : assert.fail('demoScript is a function');
const toolNames = (r: Reply) => ('tool_calls' in r ? (r.tool_calls ?? []).map((c) => c.name) : []);

describe('demo script (what the cheap model says in the demo)', () => {
  it('walks Read → Edit → Bash → final text, one step per tool result, with absolute paths from the prompt', () => {
    const user = { role: 'user', content: DEMO_PROMPT };
    const r0 = play(req([system, user]));
    assert.deepEqual(toolNames(r0), ['Read']);
    assert.deepEqual('tool_calls' in r0 && r0.tool_calls?.[0]?.arguments, { file_path: '/w/proj/src/math.js' });
    const r1 = play(
      req([system, user, call('Read'), { role: 'tool', tool_call_id: 'Read', content: '1\treturn a - b' }]),
    );
    assert.deepEqual('tool_calls' in r1 && r1.tool_calls?.[0], {
      name: 'Edit',
      arguments: { file_path: '/w/proj/src/math.js', old_string: 'return a - b', new_string: 'return a + b' },
    });
    const afterEdit = [
      system,
      user,
      call('Read'),
      { role: 'tool', content: 'ok' },
      call('Edit'),
      { role: 'tool', content: 'The file has been updated successfully.' },
    ];
    assert.deepEqual(toolNames(play(req(afterEdit))), ['Bash']);
    const done = play(
      req([...afterEdit, call('Bash'), { role: 'tool', content: [{ type: 'text', text: '# pass 1\n# fail 0' }] }]),
    );
    assert.equal('text' in done && done.text, DEMO_FINAL_TEXT);
    assert.equal('finish_reason' in done && done.finish_reason, 'stop');
  });

  it('stops with an honest text when a tool result reports a failure', () => {
    const r = play(
      req([
        system,
        { role: 'user', content: 'x' },
        call('Read'),
        { role: 'tool', content: 'ok' },
        call('Edit'),
        { role: 'tool', content: 'ok' },
        call('Bash'),
        { role: 'tool', content: 'This command requires approval' },
      ]),
    );
    assert.match('text' in r ? (r.text ?? '') : '', /^Stopped: Bash failed: This command requires approval/);
  });

  it('answers Claude Code background calls with a short JSON title and other tool-less calls with the summary', () => {
    const bg = play(req([system, { role: 'user', content: '<session>fix</session>' }], false));
    assert.deepEqual(JSON.parse('text' in bg ? (bg.text ?? '') : ''), { title: 'Fix failing add test' });
    assert.equal(play(req([{ role: 'user', content: 'Summarise this diff' }], false)), summaryReply);
  });

  it('gives every reply explicit usage', () => {
    const replies = [play(req([system])), play(req([system], false)), summaryReply];
    assert.deepEqual(
      replies.map((r) => ('usage' in r ? r.usage : undefined)),
      [DEMO_USAGE.agentTurn, DEMO_USAGE.background, DEMO_USAGE.summary],
    );
  });

  it('finds the cwd in both the default and the --bare prompt, else uses relative paths', () => {
    assert.equal(cwdFromRequest({ s: 'x\n - Primary working directory: /a/b\n - Is a git' }), '/a/b');
    assert.equal(cwdFromRequest({ s: 'CWD: /c/d\nDate: 2026' }), '/c/d');
    assert.equal(cwdFromRequest({ s: 'nothing' }), null);
    const r = play(req([{ role: 'user', content: 'x' }]));
    assert.deepEqual('tool_calls' in r && r.tool_calls?.[0]?.arguments, { file_path: 'src/math.js' });
  });

  describe('@real-cli against the real Claude Code CLI (through the Anthropic probe and a hand translation)', function () {
    this.timeout(60_000);
    let dir: string;
    before(function () {
      assert.ok(
        existsSync(CLAUDE),
        'the real Claude Code CLI is missing from node_modules/.bin: run npm install (@anthropic-ai/claude-code is a devDependency)',
      );
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('fixes the demo project and reports the final text', async () => {
      dir = mkdtempSync(join(tmpdir(), 'offload-demo-'));
      const cwd = join(dir, 'proj');
      for (const [p, content] of Object.entries(DEMO_PROJECT)) {
        mkdirSync(dirname(join(cwd, p)), { recursive: true });
        writeFileSync(join(cwd, p), content);
      }
      await execa('git', ['init', '-q'], { cwd });
      const seen: RecordedRequest[] = [];
      const probe = await startAnthropicProbe(deciderFromScript(demoScript, seen), () => {});
      try {
        const r = await execa(
          CLAUDE,
          [
            '-p',
            DEMO_PROMPT,
            '--output-format',
            'stream-json',
            '--verbose',
            '--model',
            'sonnet',
            '--permission-mode',
            'acceptEdits',
            '--allowedTools',
            'Bash(npm test)',
            '--no-session-persistence',
          ],
          {
            cwd,
            stdin: 'ignore',
            reject: false,
            timeout: 50_000,
            extendEnv: false,
            env: {
              PATH: process.env.PATH,
              HOME: dir,
              CLAUDE_CONFIG_DIR: join(dir, 'claude-config'),
              ANTHROPIC_BASE_URL: probe.url,
              ANTHROPIC_API_KEY: 'k',
              CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
              DISABLE_TELEMETRY: '1',
              DISABLE_AUTOUPDATER: '1',
              CLAUDE_CODE_MAX_RETRIES: '0',
            },
          },
        );
        const events = r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
        const result = events.find((e) => e.type === 'result');
        assert.equal(result?.is_error, false, r.stdout.slice(-2000));
        assert.equal(result?.result, DEMO_FINAL_TEXT);
        assert.equal(result?.num_turns, 4);
        assert.match(readFileSync(join(cwd, 'src/math.js'), 'utf8'), /return a \+ b/);
        assert.equal(seen.length, 4, 'four agent turns, no background calls');
      } finally {
        await probe.close();
      }
    });
  });
});
