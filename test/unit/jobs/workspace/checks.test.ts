import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCheckLine, runCheck } from '../../../../src/jobs/workspace/checks';
import { createWorkspace } from '../../../../src/jobs/workspace';
import { fakeTimers } from '../../fake-clock';

/** True while `pid` runs; a zombie (dead, not yet reaped by whoever inherited it) has ended. */
function running(pid: number): boolean {
  try {
    if (process.platform === 'linux') return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `cond()` holds, looking every 10 ms; rejects after 5 s. */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (const end = Date.now() + 5_000; !cond();) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The pid a command's process wrote into `file` once it has (`echo $$ > file`). */
async function pidIn(file: string): Promise<number> {
  await until(`${file} holds a pid`, () => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n'));
  return Number(readFileSync(file, 'utf8'));
}

describe('workspace checks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'offload-checks-'));
  });
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
    const r = await runCheck(
      { name: 'unit tests', command: 'for i in $(seq 1 3000); do echo "line $i"; done; exit 3', timeout_ms: 10_000 },
      dir,
      { tailBytes: 64 },
    );
    assert.equal(r.status, 'failed');
    assert.equal(r.exitCode, 3);
    assert.ok(Buffer.byteLength(r.outputTail) <= 64);
    assert.match(r.outputTail, /line 3000\n$/);
    assert.equal(formatCheckLine(r), 'unit tests: failed (exit 3)');
  });

  it('times out and kills the whole process tree, grandchildren included', async () => {
    const clock = fakeTimers(); // the timeout and the kill grace run on it; the processes are real
    const pidFile = join(dir, 'grandchild.pid');
    const check = runCheck(
      { name: 'slow', command: `sh -c 'echo $$ > ${pidFile}; exec sleep 30' & sleep 30`, timeout_ms: 300 },
      dir,
      { killGraceMs: 200, timers: clock },
    );
    const grandchild = await pidIn(pidFile);
    assert.ok(running(grandchild), 'the grandchild runs');
    clock.tick(300);
    const r = await check;
    assert.equal(r.status, 'timed_out');
    assert.equal(r.durationMs, 300, 'returned at the timeout: SIGTERM ended it, no grace was needed');
    assert.equal(formatCheckLine(r), 'slow: timed out (after 300 ms)');
    await until('the grandchild is gone', () => !running(grandchild));
    assert.equal(running(grandchild), false, 'the grandchild was killed with its group');
  });

  it('sends SIGKILL after the grace when the tree ignores SIGTERM', async () => {
    const clock = fakeTimers();
    const pidFile = join(dir, 'shell.pid');
    const check = runCheck(
      { name: 'stubborn', command: `trap '' TERM; echo $$ > ${pidFile}; sleep 30`, timeout_ms: 300 },
      dir,
      { killGraceMs: 200, timers: clock },
    );
    const shell = await pidIn(pidFile);
    clock.tick(300); // SIGTERM, ignored
    clock.tick(199);
    assert.ok(running(shell), 'it outlives SIGTERM');
    clock.tick(1); // the grace is over: SIGKILL
    const r = await check;
    assert.deepEqual([r.status, r.signal, r.durationMs], ['timed_out', 'SIGKILL', 500]);
  });

  it('stops when the job is cancelled', async () => {
    const ac = new AbortController();
    const pidFile = join(dir, 'shell.pid');
    const check = runCheck({ name: 'c', command: `echo $$ > ${pidFile}; sleep 30`, timeout_ms: 60_000 }, dir, {
      signal: ac.signal,
    });
    await pidIn(pidFile); // it runs
    ac.abort();
    const r = await check;
    assert.equal(r.status, 'cancelled');
    assert.equal(formatCheckLine(r), 'c: cancelled');
  });

  it('formats the result lines the runner reports', () => {
    const base = { name: 'unit tests', exitCode: 0, signal: null, timeoutMs: 1000 };
    assert.equal(formatCheckLine({ ...base, status: 'passed' }), 'unit tests: passed');
    assert.equal(
      formatCheckLine({ ...base, status: 'failed', exitCode: null, signal: 'SIGSEGV' }),
      'unit tests: failed (killed by SIGSEGV)',
    );
  });

  it('is what createWorkspace().runCheck reports to the runner', async () => {
    const r = await createWorkspace().runCheck(
      { name: 'unit tests', command: 'true', timeout_ms: 5_000 },
      dir,
      new AbortController().signal,
    );
    assert.deepEqual(r, { passed: true, line: 'unit tests: passed', outputTail: '' });
  });
});
