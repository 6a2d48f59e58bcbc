import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reply } from '../support/scripted-gateway';
import type { SuccessReply } from '../support/scripted-gateway-wire';
import { startAppFixture, toolError, toolJson, type AppFixture } from '../support/app-fixture';

const A = 'export function totalOf(xs: number[]): number {\n  return xs.reduce((s, x) => s + x, 0);\n}\n';
const B = "import { totalOf } from './a';\n\nexport const answer = totalOf([1, 2, 3]);\n";

/** The rename `totalOf` → `sumOf` across both files (paths as the model saw them: as given), as search-and-replace hunks. */
const rename = (root: string) => ({
  files: [
    {
      path: join(root, 'src/a.ts'),
      content: null,
      hunks: [{ search: 'function totalOf(', replace: 'function sumOf(' }],
    },
    {
      path: join(root, 'src/b.ts'),
      content: null,
      hunks: [
        { search: '{ totalOf }', replace: '{ sumOf }' },
        { search: '= totalOf(', replace: '= sumOf(' },
      ],
    },
  ],
});

const reply = (text: string): Reply => ({ text, usage: { prompt_tokens: 400, completion_tokens: 60 } });

describe('run_job edit mode (apply: true) through the MCP client, on the scripted gateway (stand-in)', () => {
  let fx: AppFixture;
  let answer: string;
  /** Runs when the gateway receives the request, before it answers (a file changed while the model works). */
  let onRequest: () => void = () => undefined;
  let finish: SuccessReply['finish_reason'];
  const read = (rel: string) => readFileSync(join(fx.sandbox, rel), 'utf8');
  const shadowDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('offload-shadow-git-')).length;
  const runJob = async (args: Record<string, unknown>) =>
    toolJson(
      await fx.client.callTool({
        name: 'run_job',
        arguments: {
          agent: 'mini-worker',
          input_refs: [join(fx.sandbox, 'src/b.ts'), join(fx.sandbox, 'src/a.ts')],
          apply: true,
          ...args,
        },
      }),
    );

  beforeEach(async () => {
    onRequest = () => undefined;
    finish = undefined;
    fx = await startAppFixture(
      () => {
        onRequest();
        return { ...reply(answer), finish_reason: finish };
      },
      { premiumAutoApprove: true },
    );
    answer = JSON.stringify(rename(fx.sandbox));
    mkdirSync(join(fx.sandbox, 'src'));
    writeFileSync(join(fx.sandbox, 'src/a.ts'), A);
    writeFileSync(join(fx.sandbox, 'src/b.ts'), B);
  });
  afterEach(async () => {
    await fx.close();
  });

  it('renames a symbol across two files with structured output, returns the diff, and discard puts both back', async () => {
    const r = await runJob({ task: 'Rename totalOf to sumOf everywhere' });
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.equal(r.edit_format, 'json_schema');
    assert.deepEqual([...r.changed_files].sort(), ['a.ts', 'b.ts']);
    assert.deepEqual(r.checks, []);
    assert.match(r.diff, /-export function totalOf\(/);
    assert.match(r.diff, /\+export function sumOf\(/);
    assert.match(r.diff, /\+import \{ sumOf \} from '.\/a';/);
    assert.equal(r.workspace, undefined, 'the undo record is not shown to the agent');
    assert.equal(read('src/a.ts'), A.replace('totalOf', 'sumOf'));
    assert.equal(read('src/b.ts'), B.replaceAll('totalOf', 'sumOf'));
    const sent = fx.gateway.requests[0]!.body;
    assert.equal(sent.response_format.type, 'json_schema');
    assert.equal(sent.response_format.json_schema.name, 'offload_file_edits');
    const user = String(sent.messages[1].content);
    assert.ok(user.indexOf('src/a.ts">') < user.indexOf('src/b.ts">'), 'files by path');
    assert.ok(user.endsWith('Rename totalOf to sumOf everywhere'), 'the task last');

    const undone = toolJson(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
    assert.equal(undone.undo, 'discarded', JSON.stringify(undone));
    assert.equal(read('src/a.ts'), A);
    assert.equal(read('src/b.ts'), B);
  });

  it('the edited files still type-check, in a git repository, and apply keeps them in place', async () => {
    execFileSync('git', ['init', '-q'], { cwd: fx.sandbox });
    const r = await runJob({ task: 'Rename totalOf to sumOf everywhere' });
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.deepEqual([...r.changed_files].sort(), ['a.ts', 'b.ts']);
    const tsc = join(__dirname, '../../node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', 'src/a.ts', 'src/b.ts'], { cwd: fx.sandbox });
    const kept = toolJson(await fx.client.callTool({ name: 'apply', arguments: { job_id: r.job_id } }));
    assert.equal(kept.undo, 'applied', JSON.stringify(kept));
    assert.equal(read('src/b.ts'), B.replaceAll('totalOf', 'sumOf'));
  });

  it('formats a TypeScript file with whole new content, and it still compiles (tsc --noEmit)', async () => {
    const messy = 'export function totalOf( xs:number[] ):number{return xs.reduce((s,x)=>s+x,0)}\n';
    writeFileSync(join(fx.sandbox, 'src/a.ts'), messy);
    answer = JSON.stringify({ files: [{ path: join(fx.sandbox, 'src/a.ts'), content: A, hunks: [] }] });
    const r = await runJob({ task: 'Format src/a.ts', input_refs: [join(fx.sandbox, 'src/a.ts')] });
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.deepEqual(r.changed_files, ['a.ts']);
    assert.equal(read('src/a.ts'), A);
    const tsc = join(__dirname, '../../node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', 'src/a.ts', 'src/b.ts'], { cwd: fx.sandbox });
    const undone = toolJson(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
    assert.equal(undone.undo, 'discarded', JSON.stringify(undone));
    assert.equal(read('src/a.ts'), messy);
  });

  const malformed: [string, (root: string) => string][] = [
    ['prose instead of JSON', () => 'Sure! Rename totalOf to sumOf in both files.'],
    [
      'a hunk whose search text is not in the file',
      (root) =>
        JSON.stringify({
          files: [{ path: join(root, 'src/a.ts'), content: null, hunks: [{ search: 'nope', replace: 'x' }] }],
        }),
    ],
    [
      'a path outside input_refs',
      (root) => JSON.stringify({ files: [{ path: join(root, 'src/c.ts'), content: 'x', hunks: [] }] }),
    ],
    [
      'a good edit then a bad one',
      (root) =>
        JSON.stringify({
          files: [
            rename(root).files[0],
            {
              path: join(root, 'src/b.ts'),
              content: null,
              hunks: [
                { search: 'import', replace: '' },
                { search: 'import', replace: '' },
              ],
            },
          ],
        }),
    ],
  ];
  for (const [name, bad] of malformed)
    it(`fails the job on ${name}, with no file touched and nothing left reserved`, async () => {
      answer = bad(fx.sandbox);
      const mtimes = ['src/a.ts', 'src/b.ts'].map((f) => statSync(join(fx.sandbox, f)).mtimeMs);
      const shadows = shadowDirs();
      const r = await runJob({ task: 'Rename totalOf to sumOf everywhere' });
      assert.equal(r.job_status, 'failed', JSON.stringify(r));
      assert.match(r.error, /edit rejected: .*; no file was written/);
      assert.deepEqual(r.changed_files, []);
      assert.equal(read('src/a.ts'), A);
      assert.equal(read('src/b.ts'), B);
      assert.deepEqual(
        ['src/a.ts', 'src/b.ts'].map((f) => statSync(join(fx.sandbox, f)).mtimeMs),
        mtimes,
      );
      assert.equal(shadowDirs(), shadows, 'no snapshot was taken');
      assert.ok(r.cost_usd > 0, 'the call was billed');
      const stats = await fx.app.ledger.spendStats();
      assert.equal(stats.reserved, 0, 'nothing reserved');
      assert.equal(stats.reservations_in_flight, 0, 'no reservation in flight');
      const undo = toolError(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
      assert.match(undo, /recorded no workspace snapshot/);
    });

  const refusedCalls: [string, () => void, RegExp][] = [
    [
      'a file that changed on disk while the model worked',
      () => {
        onRequest = () => writeFileSync(join(fx.sandbox, 'src/b.ts'), B + '// edited by the user\n');
      },
      /src\/b\.ts changed on disk while the model worked/,
    ],
    [
      'an answer cut at max_tokens',
      () => {
        finish = 'length';
      },
      /cut at max_tokens/,
    ],
  ];
  for (const [name, arrange, why] of refusedCalls)
    it(`refuses ${name}, writing nothing`, async () => {
      arrange();
      const r = await runJob({ task: 'Rename totalOf to sumOf everywhere' });
      assert.equal(r.job_status, 'failed', JSON.stringify(r));
      assert.match(r.error, why);
      assert.equal(read('src/a.ts'), A, 'the other file is not written either');
      assert.ok(read('src/b.ts').startsWith(B));
    });

  it('o1-mini (premium-worker) gets no response_format and answers in the strict fenced-block fallback', async () => {
    answer = '```json\n' + JSON.stringify(rename(fx.sandbox), null, 2) + '\n```';
    const r = await runJob({ agent: 'premium-worker', task: 'Rename totalOf to sumOf everywhere' });
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.equal(r.edit_format, 'fenced');
    const sent = fx.gateway.requests[0]!.body;
    assert.equal(sent.model, 'o1-mini');
    assert.equal(sent.response_format, undefined);
    assert.match(String(sent.messages[0].content), /single ```json fenced block/);
    assert.equal(read('src/b.ts'), B.replaceAll('totalOf', 'sumOf'));
    const undone = toolJson(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
    assert.equal(undone.undo, 'discarded', JSON.stringify(undone));
    assert.equal(read('src/b.ts'), B);
  });

  it('refuses apply: true without input_refs by name, before any call', async () => {
    const res = await fx.client.callTool({
      name: 'run_job',
      arguments: { agent: 'mini-worker', task: 'x', apply: true },
    });
    assert.match(JSON.stringify(res), /apply.*name at least one in input_refs/);
    assert.equal(fx.gateway.requests.length, 0);
  });
});

describe('run_job edit mode under WORKER_ISOLATION=worktree', () => {
  let fx: AppFixture;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: fx.sandbox, encoding: 'utf8' }).trim();
  beforeEach(async () => {
    fx = await startAppFixture(() => reply(JSON.stringify(rename(fx.sandbox))), { isolation: 'worktree' });
    mkdirSync(join(fx.sandbox, 'src'));
    writeFileSync(join(fx.sandbox, 'src/a.ts'), A);
    writeFileSync(join(fx.sandbox, 'src/b.ts'), B);
    git('init', '-q');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-qm', 'init', '--allow-empty');
    git('add', '-A');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-qm', 'files');
  });
  afterEach(async () => {
    await fx.close();
  });

  it('edits a worktree on its own branch, leaves the checkout alone, and apply merges the edit in', async () => {
    const r = toolJson(
      await fx.client.callTool({
        name: 'run_job',
        arguments: {
          agent: 'mini-worker',
          task: 'Rename totalOf to sumOf everywhere',
          input_refs: [join(fx.sandbox, 'src/a.ts'), join(fx.sandbox, 'src/b.ts')],
          apply: true,
        },
      }),
    );
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.match(r.branch, /^offload\//);
    assert.deepEqual([...r.changed_files].sort(), ['a.ts', 'b.ts']);
    assert.equal(readFileSync(join(fx.sandbox, 'src/b.ts'), 'utf8'), B, 'the checkout is not touched');
    assert.equal(readFileSync(join(r.worktree, 'src/b.ts'), 'utf8'), B.replaceAll('totalOf', 'sumOf'));
    const applied = toolJson(await fx.client.callTool({ name: 'apply', arguments: { job_id: r.job_id } }));
    assert.equal(applied.undo, 'applied', JSON.stringify(applied));
    assert.equal(readFileSync(join(fx.sandbox, 'src/b.ts'), 'utf8'), B.replaceAll('totalOf', 'sumOf'));
    assert.equal(git('status', '--porcelain', '--', 'src').split('\n').length, 2, 'both files changed in the checkout');
  });
});
