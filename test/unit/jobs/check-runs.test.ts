import { strict as assert } from 'node:assert';
import { parseConfig } from '../../../src/core/config';
import { StartSchema } from '../../../src/core/requests';
import { shapeResult } from '../../../src/core/results';
import { JobEngine } from '../../../src/jobs/engine';
import { CHECK_TAIL_BYTES, type CheckRun } from '../../../src/jobs/runners/check-runs';
import { createClaudeCodeRunner, type WorkspacePort } from '../../../src/jobs/runners/claude-code';
import { openMemoryLedger } from '../../../src/ledger/sqlite-ledger';

const SECRET = 'configured-secret-value-42';

/** A workspace whose checks answer from `outputs` by check name (stand-in ports: no git, no shell, no CLI). */
function workspace(outputs: Record<string, { passed: boolean; output: string }>): WorkspacePort {
  return {
    snapshot: async () => ({}),
    changedFiles: async () => ['src/a.js'],
    diff: async () => ({ text: '+++ b/src/a.js\n', bytes: 15 }),
    runCheck: async (check) => {
      const o = outputs[check.name]!;
      return {
        passed: o.passed,
        line: `${check.name}: ${o.passed ? 'passed' : 'failed (exit 1)'}`,
        outputTail: o.output,
      };
    },
    createWorktree: async () => {
      throw new Error('not used');
    },
    tree: async () => 'tree-after',
    restore: async () => undefined,
  };
}

describe('check_runs: each check with its output tail in the stored job', () => {
  it('stores a passing and a failing check with their tails (bounded, redacted), and the compact result hides them', async () => {
    const ledger = await openMemoryLedger({ caps: { monthlyMicros: 1_000_000, dailyMicros: null } });
    const engine = new JobEngine(ledger, { concurrency: 1, secrets: () => [SECRET] });
    const long = `${'x'.repeat(CHECK_TAIL_BYTES * 2)}\nexpected 3, got -1 (token ${SECRET}, key sk-abcdefghijklmnop1234)`;
    const config = parseConfig({ sandboxRoots: ['/repo'], ledgerPath: '/unused.sqlite' });
    engine.register(
      createClaudeCodeRunner({
        config,
        workspace: workspace({
          lint: { passed: true, output: '0 problems' },
          'unit tests': { passed: false, output: long },
        }),
        adapter: { url: async () => 'http://127.0.0.1:1', register: () => 'k', unregister: () => undefined },
        claudePath: '/bin/claude',
        resolvePath: async (p) => p,
        baseEnv: {},
        runProcess: async () => ({
          exitCode: 0,
          sessionId: 's',
          final: { type: 'result', is_error: false, result: 'done', num_turns: 1 },
        }),
      }),
    );
    const request = StartSchema.parse({
      prompt: 'fix it',
      allowed_dirs: ['/repo'],
      max_revisions: 0,
      checks: [
        { name: 'lint', command: 'npm run lint' },
        { name: 'unit tests', command: 'npm test' },
      ],
    });
    const started = await engine.submit('claude-code', request, { model: 'cheap-model' });
    await engine.wait(started.id, 10_000);
    const stored = (await ledger.getJob(started.id))!;
    assert.equal(stored.status, 'failed');
    const runs = (stored.result as { check_runs: CheckRun[] }).check_runs;
    assert.deepEqual(
      runs.map((r) => [r.line, r.passed]),
      [
        ['lint: passed', true],
        ['unit tests: failed (exit 1)', false],
      ],
    );
    assert.equal(runs[0]!.output_tail, '0 problems');
    assert.ok(
      Buffer.byteLength(runs[1]!.output_tail) <= CHECK_TAIL_BYTES + 64,
      'the tail is bounded (redaction markers may lengthen it a little)',
    );
    assert.match(runs[1]!.output_tail, /expected 3, got -1 \(token \[REDACTED\], key \[REDACTED\]\)$/);
    assert.ok(!JSON.stringify(stored).includes(SECRET), 'the secret is stored nowhere');

    const compact = shapeResult(stored);
    assert.equal('check_runs' in compact, false);
    assert.equal('workspace' in compact, false);
    assert.deepEqual(compact.checks, ['lint: passed', 'unit tests: failed (exit 1)']);
    await ledger.close();
  });
});
