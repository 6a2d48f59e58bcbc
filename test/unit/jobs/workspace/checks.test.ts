import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCheckLine, runCheck } from '../../../../src/jobs/workspace/checks';
import { createWorkspace } from '../../../../src/jobs/workspace';

describe('workspace checks', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'offload-checks-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes on exit 0, in the given directory, through the shell', async () => {
    const r = await runCheck({ name: 'pwd', command: 'pwd && echo out; echo err >&2', timeout_ms: 10_000 }, dir);
    assert.equal(r.status, 'passed');
    assert.equal(r.exitCode, 0);
    assert.match(r.outputTail, new RegExp(`${dir}\\nout\\n`));
    assert.match(r.outputTail, /err/);
    assert.ok(r.durationMs >= 0);
  });

  it('fails on a non-zero exit and keeps only the end of the output', async () => {
    const r = await runCheck({ name: 'unit tests', command: 'for i in $(seq 1 3000); do echo "line $i"; done; exit 3', timeout_ms: 10_000 }, dir, { tailBytes: 64 });
    assert.equal(r.status, 'failed');
    assert.equal(r.exitCode, 3);
    assert.ok(Buffer.byteLength(r.outputTail) <= 64);
    assert.match(r.outputTail, /line 3000\n$/);
    assert.equal(formatCheckLine(r), 'unit tests: failed (exit 3)');
  });

  it('times out and kills the whole process tree, grandchildren included', async () => {
    const marker = join(dir, 'survived');
    const started = Date.now();
    const r = await runCheck({ name: 'slow', command: `sh -c 'sleep 1; touch ${marker}' & sleep 30`, timeout_ms: 300 }, dir, { killGraceMs: 200 });
    assert.equal(r.status, 'timed_out');
    assert.ok(Date.now() - started < 5_000, 'returned soon after the timeout');
    assert.equal(formatCheckLine(r), 'slow: timed out (after 300 ms)');
    await new Promise((res) => setTimeout(res, 1_500)); // past the grandchild's sleep: it must be dead
    assert.equal(existsSync(marker), false, 'the grandchild was killed with its group');
  });

  it('stops when the job is cancelled', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runCheck({ name: 'c', command: 'sleep 30', timeout_ms: 60_000 }, dir, { signal: ac.signal });
    assert.equal(r.status, 'cancelled');
    assert.equal(formatCheckLine(r), 'c: cancelled');
  });

  it('formats the result lines the runner reports', () => {
    const base = { name: 'unit tests', exitCode: 0, signal: null, timeoutMs: 1000 };
    assert.equal(formatCheckLine({ ...base, status: 'passed' }), 'unit tests: passed');
    assert.equal(formatCheckLine({ ...base, status: 'failed', exitCode: null, signal: 'SIGSEGV' }), 'unit tests: failed (killed by SIGSEGV)');
  });

  it('is what createWorkspace().runCheck reports to the runner', async () => {
    const r = await createWorkspace().runCheck({ name: 'unit tests', command: 'true', timeout_ms: 5_000 }, dir, new AbortController().signal);
    assert.deepEqual(r, { passed: true, line: 'unit tests: passed', outputTail: '' });
  });
});
