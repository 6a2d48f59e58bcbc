import { strict as assert } from 'node:assert';
import { parseConfig } from '../../../src/core/config';
import type { JobRecord } from '../../../src/core/jobs';
import { StartSchema } from '../../../src/core/requests';
import { createClaudeCodeRunner, type AdapterPort, type WorkspacePort } from '../../../src/jobs/runners/claude-code';
import type { ClaudeProcessOptions, ClaudeRun } from '../../../src/jobs/runners/claude-process';

type Files = Map<string, string>;

/** An in-memory work tree behind the runner's WorkspacePort: snapshots are copies, trees are JSON of the files. */
function fakeWorkspace(files: Files, checkPasses: (files: Files) => boolean) {
  const calls = { restored: [] as string[][], checks: 0 };
  const changed = (before: Files) =>
    [...new Set([...before.keys(), ...files.keys()])].filter((f) => before.get(f) !== files.get(f)).sort();
  const port: WorkspacePort = {
    snapshot: async () => new Map(files),
    changedFiles: async (_dir, before) => changed(before as Files),
    diff: async (_dir, before) => {
      const text = changed(before as Files)
        .map((f) => `+++ b/${f}\n`)
        .join('');
      return { text, bytes: text.length };
    },
    runCheck: async () => {
      calls.checks++;
      const passed = checkPasses(files);
      return {
        passed,
        line: `unit tests: ${passed ? 'passed' : 'failed (exit 1)'}`,
        outputTail: passed ? '' : 'expected 3, got -1',
      };
    },
    createWorktree: async () => {
      throw new Error('not used');
    },
    tree: async () => JSON.stringify([...files].sort()),
    restore: async (_dir, before, paths) => {
      calls.restored.push([...paths]);
      for (const p of paths) {
        const old = (before as Files).get(p);
        if (old === undefined) files.delete(p);
        else files.set(p, old);
      }
    },
  };
  return { port, calls };
}

const adapter: AdapterPort = {
  url: async () => 'http://127.0.0.1:1',
  register: (job) => `key-${job.model}`,
  unregister: () => undefined,
};
const config = parseConfig({ sandboxRoots: ['/repo'], ledgerPath: '/unused.sqlite', escalateModel: 'big-model' });
const job = { id: 'job-1', model: 'cheap-model' } as JobRecord;
const ok = (sessionId = 'session-1'): ClaudeRun => ({
  exitCode: 0,
  sessionId,
  final: { type: 'result', is_error: false, result: 'done', num_turns: 3 },
});

/** A fake Claude Code process: each pass runs the next edit and records the options it was started with. */
function fakeClaude(passes: ((files: Files) => void)[], files: Files) {
  const seen: ClaudeProcessOptions[] = [];
  const run = async (opts: ClaudeProcessOptions): Promise<ClaudeRun> => {
    seen.push(opts);
    passes[seen.length - 1]!(files);
    return ok();
  };
  return { run, seen };
}

async function runJob(
  files: Files,
  passes: ((f: Files) => void)[],
  request: Record<string, unknown>,
  checkPasses: (f: Files) => boolean = () => true,
) {
  const ws = fakeWorkspace(files, checkPasses);
  const claude = fakeClaude(passes, files);
  const runner = createClaudeCodeRunner({
    config,
    adapter,
    workspace: ws.port,
    claudePath: '/bin/claude',
    resolvePath: async (p) => p,
    baseEnv: {},
    runProcess: claude.run,
  });
  const lines: string[] = [];
  const outcome = await runner.run(
    { job, signal: new AbortController().signal, log: (l) => lines.push(l) },
    StartSchema.parse({ prompt: 'fix it', allowed_dirs: ['/repo'], ...request }),
  );
  return { outcome, result: outcome.result as Record<string, any>, ws, claude, lines }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('Claude Code runner: scope and revise logic (fake ports, no CLI)', () => {
  it('reverts what changed outside scoped_patch.paths (modified, created, deleted), keeps the in-scope edit, and fails without a revise pass', async () => {
    const files: Files = new Map([
      ['src/a.js', 'a'],
      ['README.md', 'readme'],
      ['docs/old.md', 'old'],
    ]);
    const { outcome, result, ws, claude, lines } = await runJob(
      files,
      [
        (f) => {
          f.set('src/a.js', 'A');
          f.set('README.md', 'hacked');
          f.set('tools/new.sh', 'x');
          f.delete('docs/old.md');
        },
      ],
      { scoped_patch: { paths: ['src'] }, checks: [{ name: 'unit tests', command: 'npm test' }], max_revisions: 2 },
    );
    assert.equal(outcome.status, 'failed');
    assert.deepEqual(result.reverted_files, ['README.md', 'docs/old.md', 'tools/new.sh']);
    assert.deepEqual(ws.calls.restored, [['README.md', 'docs/old.md', 'tools/new.sh']]);
    assert.deepEqual([...files].sort(), [
      ['README.md', 'readme'],
      ['docs/old.md', 'old'],
      ['src/a.js', 'A'],
    ]);
    assert.deepEqual(result.changed_files, ['src/a.js'], 'changed_files is what is left after the revert');
    assert.match(
      result.checks[0],
      /^scoped_patch: failed \(changed outside src: README\.md, docs\/old\.md, tools\/new\.sh\)$/,
    );
    assert.equal(ws.calls.checks, 0, 'checks do not run on a rejected patch');
    assert.equal(claude.seen.length, 1, 'a scope violation is not revised');
    assert.ok(lines.some((l) => /scoped_patch: reverted 3 file\(s\) outside src/.test(l)));
    assert.equal(
      result.workspace.after_tree,
      JSON.stringify([
        ['README.md', 'readme'],
        ['docs/old.md', 'old'],
        ['src/a.js', 'A'],
      ]),
      'the post tree recorded for apply/discard is the reverted one',
    );
  });

  it('reverts nothing and passes when every change is inside the scope', async () => {
    const files: Files = new Map([['src/a.js', 'a']]);
    const { outcome, result, ws } = await runJob(files, [(f) => f.set('src/b.js', 'b')], {
      scoped_patch: { paths: ['src'] },
    });
    assert.equal(outcome.status, 'completed');
    assert.equal(result.reverted_files, undefined);
    assert.deepEqual(ws.calls.restored, []);
    assert.deepEqual(result.checks, ['scoped_patch: passed (src)']);
  });

  it('resumes the session with the failing check on the escalate model, then completes', async () => {
    const files: Files = new Map([['src/a.js', 'a - b']]);
    const { outcome, result, claude } = await runJob(
      files,
      [(f) => f.set('src/a.js', 'a * b'), (f) => f.set('src/a.js', 'a + b')],
      { checks: [{ name: 'unit tests', command: 'npm test' }], max_revisions: 1 },
      (f) => f.get('src/a.js') === 'a + b',
    );
    assert.equal(outcome.status, 'completed');
    assert.equal(result.revisions, 1);
    assert.equal(claude.seen.length, 2);
    assert.equal(claude.seen[0]!.env.ANTHROPIC_API_KEY, 'key-cheap-model');
    assert.equal(
      claude.seen[1]!.env.ANTHROPIC_API_KEY,
      'key-big-model',
      'the revise pass runs under a key for WORKER_ESCALATE_MODEL',
    );
    const resumeAt = claude.seen[1]!.args.indexOf('--resume');
    assert.equal(claude.seen[1]!.args[resumeAt + 1], 'session-1');
    assert.match(claude.seen[1]!.args.join(' '), /unit tests: failed \(exit 1\)[\s\S]*expected 3, got -1/);
  });

  it('stops after max_revisions with the failing check as the error', async () => {
    const files: Files = new Map([['src/a.js', 'a - b']]);
    const { outcome, claude } = await runJob(
      files,
      [(f) => f.set('src/a.js', 'a * b')],
      { checks: [{ name: 'unit tests', command: 'npm test' }], max_revisions: 0 },
      () => false,
    );
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, 'unit tests: failed (exit 1)');
    assert.equal(claude.seen.length, 1);
  });

  it('returns the diff with include_diff (the default) and exactly "" with include_diff: false', async () => {
    const edit = (f: Files) => f.set('src/a.js', 'A');
    const shown = await runJob(new Map([['src/a.js', 'a']]), [edit], {});
    assert.equal(shown.result.diff, '+++ b/src/a.js\n');
    const hidden = await runJob(new Map([['src/a.js', 'a']]), [edit], { include_diff: false });
    assert.equal(hidden.outcome.status, 'completed');
    assert.equal(hidden.result.diff, '');
    assert.deepEqual(hidden.result.changed_files, ['src/a.js'], 'the change is still reported');
  });
});
