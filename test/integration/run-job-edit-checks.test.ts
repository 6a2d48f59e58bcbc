import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reply } from '../support/scripted-gateway';
import { startAppFixture, toolError, toolJson, type AppFixture } from '../support/app-fixture';

const A = 'export function totalOf(xs: number[]): number {\n  return xs.reduce((s, x) => s + x, 0);\n}\n';
const B = "import { totalOf } from './a';\n\nexport const answer = totalOf([1, 2, 3]);\n";
const TSC = join(__dirname, '../../node_modules/typescript/bin/tsc');

/** The real TypeScript compiler as the check, run in the files' folder (src/). */
const TYPES = {
  name: 'types',
  command: `"${process.execPath}" "${TSC}" --noEmit --strict a.ts b.ts`,
  timeout_ms: 120_000,
};

/** Pass 1 of the rename: a.ts only, which breaks b.ts's import (tsc: "has no exported member 'totalOf'"). */
const renameA = (root: string) =>
  JSON.stringify({
    files: [
      {
        path: join(root, 'src/a.ts'),
        content: null,
        hunks: [{ search: 'function totalOf(', replace: 'function sumOf(' }],
      },
    ],
  });
/** The fix a revise pass sends: b.ts follows the rename. */
const renameB = (root: string) =>
  JSON.stringify({
    files: [
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
/** A revise answer that applies but fixes nothing: a.ts rewritten with the same renamed text. */
const rewriteA = (root: string) =>
  JSON.stringify({ files: [{ path: join(root, 'src/a.ts'), content: A.replace('totalOf', 'sumOf'), hunks: [] }] });

const reply = (text: string): Reply => ({ text, usage: { prompt_tokens: 400, completion_tokens: 60 } });

describe('run_job edit mode with checks and revise passes, through the MCP client, on the scripted gateway (stand-in)', () => {
  let fx: AppFixture;
  /** The answer of each call in turn (the last one repeats). */
  let answers: ((root: string) => string)[];
  const read = (rel: string) => readFileSync(join(fx.sandbox, rel), 'utf8');
  const userMessage = (i: number) => String(fx.gateway.requests[i]!.body.messages[1].content);
  const runJob = async (args: Record<string, unknown>) =>
    fx.client.callTool({
      name: 'run_job',
      arguments: {
        agent: 'mini-worker',
        task: 'Rename totalOf to sumOf everywhere',
        input_refs: [join(fx.sandbox, 'src/a.ts'), join(fx.sandbox, 'src/b.ts')],
        ...args,
      },
    });

  beforeEach(async () => {
    fx = await startAppFixture(() => {
      const n = fx.gateway.requests.length; // this request is already recorded
      return reply(answers[Math.min(n, answers.length) - 1]!(fx.sandbox));
    });
    mkdirSync(join(fx.sandbox, 'src'));
    writeFileSync(join(fx.sandbox, 'src/a.ts'), A);
    writeFileSync(join(fx.sandbox, 'src/b.ts'), B);
  });
  afterEach(async () => {
    await fx.close();
  });

  it('a rename that breaks the type check is fixed by one revise pass: completed, the check passing, 2 metered calls, and discard restores both files', async () => {
    answers = [renameA, renameB];
    const r = toolJson(await runJob({ apply: true, checks: [TYPES] }));
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.deepEqual(r.checks, ['types: passed']);
    assert.equal(r.revisions, 1);
    assert.equal(r.check_runs, undefined, 'check output tails are for the panel, not the agent');
    assert.deepEqual([...r.changed_files].sort(), ['a.ts', 'b.ts']);
    assert.equal(read('src/a.ts'), A.replace('totalOf', 'sumOf'));
    assert.equal(read('src/b.ts'), B.replaceAll('totalOf', 'sumOf'));
    assert.equal(fx.gateway.requests.length, 2);
    assert.deepEqual([r.usage.input_tokens, r.usage.output_tokens], [800, 120], 'both calls were metered');
    const revise = userMessage(1);
    assert.match(revise, /These checks failed after your change:\n\ntypes: failed \(exit 2\)/);
    assert.match(
      revise,
      /```\nb\.ts\(1,10\): error TS2305: Module '"\.\/a"' has no exported member 'totalOf'\.\n```/,
      "the check's output tail is quoted",
    );
    assert.ok(revise.includes('export function sumOf('), 'the model sees the files as they are after pass 1');
    assert.ok(
      revise.includes('Rename totalOf to sumOf everywhere\n\nThese checks failed'),
      'the task, then the failures',
    );
    const stored = await fx.app.ledger.getJob(r.job_id);
    const runs = (stored!.result as { check_runs: { line: string; passed: boolean }[] }).check_runs;
    assert.deepEqual(runs, [{ line: 'types: passed', passed: true, output_tail: '' }]);

    const undone = toolJson(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
    assert.equal(undone.undo, 'discarded', JSON.stringify(undone));
    assert.equal(read('src/a.ts'), A);
    assert.equal(read('src/b.ts'), B);
  });

  it('a check that never passes fails the job after max_revisions, naming the check, and discard still restores the files', async () => {
    answers = [renameA, rewriteA];
    const r = toolJson(await runJob({ apply: true, checks: [TYPES], max_revisions: 2 }));
    assert.equal(r.job_status, 'failed', JSON.stringify(r));
    assert.equal(r.error, 'types: failed (exit 2)');
    assert.deepEqual(r.checks, ['types: failed (exit 2)']);
    assert.equal(r.revisions, 2);
    assert.equal(fx.gateway.requests.length, 3, 'the first call and two revise calls');
    assert.deepEqual(r.changed_files, ['a.ts'], 'the failed edit stays for review');
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.reserved, 0, 'nothing left reserved');

    const undone = toolJson(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
    assert.equal(undone.undo, 'discarded', JSON.stringify(undone));
    assert.equal(read('src/a.ts'), A);
    assert.equal(read('src/b.ts'), B);
  });

  it('a revise answer that does not apply fails the job, keeps the first pass for review, and discard undoes it', async () => {
    answers = [renameA, renameA]; // its search text is gone after pass 1
    const r = toolJson(await runJob({ apply: true, checks: [TYPES] }));
    assert.equal(r.job_status, 'failed', JSON.stringify(r));
    assert.match(r.error, /edit rejected in revise pass 1: .*discard undoes them/);
    assert.equal(read('src/a.ts'), A.replace('totalOf', 'sumOf'));
    const undone = toolJson(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
    assert.equal(undone.undo, 'discarded', JSON.stringify(undone));
    assert.equal(read('src/a.ts'), A);
  });

  it('max_revisions: 0 runs the checks once and asks nothing more', async () => {
    answers = [renameA];
    const r = toolJson(await runJob({ apply: true, checks: [TYPES], max_revisions: 0 }));
    assert.equal(r.job_status, 'failed', JSON.stringify(r));
    assert.equal(r.revisions, 0);
    assert.equal(fx.gateway.requests.length, 1);
    const undone = toolJson(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
    assert.equal(undone.undo, 'discarded', JSON.stringify(undone));
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['checks', { checks: [TYPES] }, /checks: checks belongs to edit mode: add apply: true/],
    ['max_revisions', { max_revisions: 1 }, /max_revisions: max_revisions belongs to edit mode: add apply: true/],
    ['max_revisions above 3', { apply: true, max_revisions: 4 }, /max_revisions/],
  ];
  for (const [name, args, why] of refused)
    it(`refuses ${name} without a valid edit mode request by name, before any call or reservation`, async () => {
      answers = [renameA];
      const message = toolError(await runJob(args));
      assert.match(message, why);
      assert.equal(fx.gateway.requests.length, 0);
      assert.equal((await fx.app.ledger.listJobs()).length, 0, 'no job was made');
      assert.equal(read('src/a.ts'), A);
    });
});

describe('run_job edit mode revise passes on WORKER_ESCALATE_MODEL', function () {
  this.timeout(60_000); // two real tsc runs: ~13 s alone, over 20 s on a loaded machine
  let fx: AppFixture;
  let answers: ((root: string) => string)[];
  beforeEach(async () => {
    fx = await startAppFixture(
      () => reply(answers[Math.min(fx.gateway.requests.length, answers.length) - 1]!(fx.sandbox)),
      { escalateModel: 'gpt-4o' },
    );
    mkdirSync(join(fx.sandbox, 'src'));
    writeFileSync(join(fx.sandbox, 'src/a.ts'), A);
    writeFileSync(join(fx.sandbox, 'src/b.ts'), B);
  });
  afterEach(async () => {
    await fx.close();
  });

  it("sends the first pass to the job's model and the revise pass to the escalate model, each priced at its own price", async () => {
    answers = [renameA, renameB];
    const r = toolJson(
      await fx.client.callTool({
        name: 'run_job',
        arguments: {
          agent: 'mini-worker',
          task: 'Rename totalOf to sumOf everywhere',
          input_refs: [join(fx.sandbox, 'src/a.ts'), join(fx.sandbox, 'src/b.ts')],
          apply: true,
          checks: [TYPES],
        },
      }),
    );
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.equal(r.revisions, 1);
    assert.deepEqual(
      fx.gateway.requests.map((q) => q.body.model),
      ['gpt-4o-mini', 'gpt-4o'],
    );
    const usage = { input_tokens: 400, output_tokens: 60, cache_read_tokens: 0 };
    const now = new Date();
    const mini = fx.app.prices.cost('gpt-4o-mini', usage, now);
    const escalated = fx.app.prices.cost('gpt-4o', usage, now);
    assert.ok(escalated > mini * 5, 'the two prices differ, so the charge tells which model was billed');
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.by_model['gpt-4o-mini']?.calls, 1);
    assert.equal(stats.by_model['gpt-4o']?.calls, 1);
    assert.equal(Math.round(stats.by_model['gpt-4o']!.cost_usd * 1e6), escalated);
    assert.equal(Math.round(r.cost_usd * 1e6), mini + escalated);
    assert.equal(stats.reserved, 0);
    const undone = toolJson(await fx.client.callTool({ name: 'discard', arguments: { job_id: r.job_id } }));
    assert.equal(undone.undo, 'discarded', JSON.stringify(undone));
  });
});

describe('run_job edit mode checks under WORKER_ISOLATION=worktree', () => {
  let fx: AppFixture;
  let answers: ((root: string) => string)[];
  const git = (...args: string[]) => execFileSync('git', args, { cwd: fx.sandbox, encoding: 'utf8' }).trim();
  beforeEach(async () => {
    fx = await startAppFixture(
      () => reply(answers[Math.min(fx.gateway.requests.length, answers.length) - 1]!(fx.sandbox)),
      { isolation: 'worktree' },
    );
    mkdirSync(join(fx.sandbox, 'src'));
    writeFileSync(join(fx.sandbox, 'src/a.ts'), A);
    writeFileSync(join(fx.sandbox, 'src/b.ts'), B);
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-qm', 'files');
  });
  afterEach(async () => {
    await fx.close();
  });

  it('runs the checks and the revise pass in the worktree, leaving the checkout alone until apply', async () => {
    answers = [renameA, renameB];
    const r = toolJson(
      await fx.client.callTool({
        name: 'run_job',
        arguments: {
          agent: 'mini-worker',
          task: 'Rename totalOf to sumOf everywhere',
          input_refs: [join(fx.sandbox, 'src/a.ts'), join(fx.sandbox, 'src/b.ts')],
          apply: true,
          checks: [TYPES],
        },
      }),
    );
    assert.equal(r.job_status, 'completed', JSON.stringify(r));
    assert.deepEqual(r.checks, ['types: passed']);
    assert.equal(r.revisions, 1);
    assert.equal(readFileSync(join(fx.sandbox, 'src/b.ts'), 'utf8'), B, 'the checkout is not touched');
    assert.equal(readFileSync(join(r.worktree, 'src/b.ts'), 'utf8'), B.replaceAll('totalOf', 'sumOf'));
    const applied = toolJson(await fx.client.callTool({ name: 'apply', arguments: { job_id: r.job_id } }));
    assert.equal(applied.undo, 'applied', JSON.stringify(applied));
    assert.equal(readFileSync(join(fx.sandbox, 'src/a.ts'), 'utf8'), A.replace('totalOf', 'sumOf'));
    assert.equal(readFileSync(join(fx.sandbox, 'src/b.ts'), 'utf8'), B.replaceAll('totalOf', 'sumOf'));
  });
});
