import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_PROJECT } from '../../src/cli/demo-project';
import { toolError, toolJson } from '../support/app-fixture';
import { startAndWait, waitDone, withDemoWorker } from '../support/demo-worker';
import { FIX_MATH, meetScript, planScript } from '../support/plan-script';
import { WORKER } from '../support/worker-client';

const run = promisify(execFile);
const git = (repo: string, ...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
const read = (repo: string, file: string) => readFileSync(join(repo, file), 'utf8');
const FIXED = DEMO_PROJECT['src/math.js']!.replace('return a - b', 'return a + b');

describe('@real-cli end to end: scoped_patch reverts, apply and discard with the real Claude Code CLI', function () {
  this.timeout(240_000);

  it('reverts a scope violation (a created and a modified file outside the scope) and keeps the in-scope edit', () =>
    withDemoWorker(
      planScript({
        'Fix add': [
          ...FIX_MATH,
          { tool: 'Write', file: 'NOTES.md', content: 'made outside the scope\n' },
          { tool: 'Read', file: 'package.json' },
          { tool: 'Edit', file: 'package.json', from: '"private": true', to: '"private": false' },
        ],
      }),
      {},
      async ({ client, repo }) => {
        const result = await startAndWait(client, {
          prompt: 'Fix add in src/math.js.',
          allowed_dirs: [repo],
          scoped_patch: { paths: ['src'] },
        });
        assert.equal(result.job_status, 'failed', JSON.stringify(result));
        assert.match(result.checks[0], /^scoped_patch: failed \(changed outside src: NOTES\.md, package\.json\)$/);
        assert.deepEqual(result.reverted_files, ['NOTES.md', 'package.json']);
        assert.deepEqual(result.changed_files, ['src/math.js']);
        assert.equal(existsSync(join(repo, 'NOTES.md')), false, 'the file created outside the scope is gone');
        assert.equal(
          read(repo, 'package.json'),
          DEMO_PROJECT['package.json'],
          'the file edited outside the scope is back',
        );
        assert.equal(read(repo, 'src/math.js'), FIXED, 'the in-scope edit stays for review');
        assert.equal(git(repo, 'status', '--porcelain'), 'M src/math.js');
      },
    ));

  it("discard restores the job's edits in place (a created file removed), and a second discard, from the CLI, is a clear error", () =>
    withDemoWorker(
      planScript({
        'Fix add': [...FIX_MATH, { tool: 'Write', file: 'src/extra.js', content: 'module.exports = 1;\n' }],
      }),
      {},
      async ({ client, repo }) => {
        const result = await startAndWait(client, { prompt: 'Fix add in src/math.js.', allowed_dirs: [repo] });
        assert.equal(result.job_status, 'completed', JSON.stringify(result));
        assert.deepEqual(result.changed_files, ['src/extra.js', 'src/math.js']);
        writeFileSync(join(repo, 'mine.txt'), "the user's own new file\n");
        const out = toolJson(await client.callTool({ name: 'discard', arguments: { job_id: result.job_id } }));
        assert.equal(out.undo, 'discarded');
        assert.deepEqual(out.files, ['src/extra.js', 'src/math.js']);
        assert.equal(read(repo, 'src/math.js'), DEMO_PROJECT['src/math.js']);
        assert.equal(existsSync(join(repo, 'src/extra.js')), false);
        assert.equal(git(repo, 'status', '--porcelain'), '?? mine.txt', "only the user's file is left");
        const status = toolJson(
          await client.callTool({ name: 'get_job_status', arguments: { job_id: result.job_id } }),
        );
        assert.equal(status.undo.state, 'discarded');
        assert.ok(Date.parse(status.undo.at) > 0);
        assert.equal(status.workspace, undefined, 'the recorded trees are not shown to the agent');
        const env = {
          ...process.env,
          OFFLOAD_LEDGER: join(dirname(repo), 'ledger.sqlite'),
          SANDBOX_ROOT: dirname(repo),
        };
        const again = await run(process.execPath, [WORKER, 'discard', result.job_id], { env }).then(
          () => assert.fail('a second discard succeeded'),
          (e: { code: number; stderr: string }) => e,
        );
        assert.equal(again.code, 2);
        assert.match(again.stderr, /job_id: job .* was already discarded at .*; a job is applied or discarded once/);
      },
    ));

  it('runs two worktree jobs in parallel on their own branches; one applied, one discarded, the checkout holds exactly the applied change', () =>
    withDemoWorker(
      meetScript(
        planScript({
          'Job A': FIX_MATH,
          'Job B': [{ tool: 'Write', file: 'src/b.js', content: 'module.exports = "b";\n' }],
        }),
        ['Job A', 'Job B'],
      ),
      { WORKER_ISOLATION: 'worktree' },
      async ({ client, gateway, repo }) => {
        const [a, b] = await Promise.all([
          toolJson(
            await client.callTool({ name: 'start', arguments: { prompt: 'Job A: fix add.', allowed_dirs: [repo] } }),
          ),
          toolJson(
            await client.callTool({
              name: 'start',
              arguments: { prompt: 'Job B: add src/b.js.', allowed_dirs: [repo] },
            }),
          ),
        ]);
        const [ra, rb] = await Promise.all([waitDone(client, a.job_id), waitDone(client, b.job_id)]);
        assert.equal(ra.job_status, 'completed', JSON.stringify(ra));
        assert.equal(rb.job_status, 'completed', JSON.stringify(rb));
        assert.equal(ra.branch, `offload/${ra.job_id.slice(0, 8)}`);
        assert.equal(rb.branch, `offload/${rb.job_id.slice(0, 8)}`);
        assert.notEqual(ra.worktree, rb.worktree);
        assert.equal(git(ra.worktree, 'rev-parse', '--abbrev-ref', 'HEAD'), ra.branch);
        assert.deepEqual(rb.changed_files, ['src/b.js']);
        assert.equal(git(repo, 'status', '--porcelain'), '', 'the checkout is untouched while the jobs run');
        const span = (job: string): [number, number] => {
          const at = gateway.requests.filter((r) => JSON.stringify(r.body.messages).includes(job)).map((r) => r.at);
          return [Math.min(...at), Math.max(...at)];
        };
        const [[a0, a1], [b0, b1]] = [span('Job A'), span('Job B')];
        assert.ok(a0 < b1 && b0 < a1, `the two jobs' agent loops overlapped in time (A ${a0}-${a1}, B ${b0}-${b1})`);
        const applied = toolJson(await client.callTool({ name: 'apply', arguments: { job_id: ra.job_id } }));
        assert.deepEqual(applied.files, ['src/math.js']);
        const discarded = toolJson(await client.callTool({ name: 'discard', arguments: { job_id: rb.job_id } }));
        assert.equal(discarded.undo, 'discarded');
        assert.equal(git(repo, 'status', '--porcelain'), 'M src/math.js');
        assert.equal(read(repo, 'src/math.js'), FIXED);
        assert.equal(git(repo, 'branch', '--list', 'offload/*'), '', 'both branches are gone');
        assert.ok(!existsSync(ra.worktree) && !existsSync(rb.worktree), 'both worktrees are gone');
        assert.match(
          toolError(await client.callTool({ name: 'apply', arguments: { job_id: ra.job_id } })),
          /was already applied at/,
        );
      },
    ));

  it('refuses an apply that conflicts with a user edit, naming the file, and leaves the checkout as it was', () =>
    withDemoWorker(
      planScript({
        'Fix add': [...FIX_MATH, { tool: 'Write', file: 'src/extra.js', content: 'module.exports = 2;\n' }],
      }),
      { WORKER_ISOLATION: 'worktree' },
      async ({ client, repo }) => {
        const result = await startAndWait(client, { prompt: 'Fix add in src/math.js.', allowed_dirs: [repo] });
        assert.equal(result.job_status, 'completed', JSON.stringify(result));
        const mine = DEMO_PROJECT['src/math.js']!.replace('return a - b', "return b + a; // the user's fix");
        writeFileSync(join(repo, 'src/math.js'), mine);
        const before = git(repo, 'status', '--porcelain');
        const refused = await client.callTool({ name: 'apply', arguments: { job_id: result.job_id } });
        assert.equal(refused.isError, true);
        const body = toolJson(refused);
        assert.deepEqual(body.conflicting_files, ['src/math.js']);
        assert.match(
          body.error,
          /^apply refused: the checkout .* changed these files too: src\/math\.js; nothing was changed$/,
        );
        assert.equal(read(repo, 'src/math.js'), mine);
        assert.equal(existsSync(join(repo, 'src/extra.js')), false, 'nothing of the job was half-applied');
        assert.equal(git(repo, 'status', '--porcelain'), before);
        const status = toolJson(
          await client.callTool({ name: 'get_job_status', arguments: { job_id: result.job_id } }),
        );
        assert.equal(status.undo, undefined, 'a refused apply marks nothing');
        assert.ok(existsSync(result.worktree), 'the worktree stays for another try');
      },
    ));
});
