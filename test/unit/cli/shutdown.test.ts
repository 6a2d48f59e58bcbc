import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const SHUTDOWN = resolve(__dirname, '../../../src/cli/shutdown.ts');
const FAKE_TIMERS = pathToFileURL(require.resolve('@sinonjs/fake-timers')).href;

/**
 * Runs `body` in a fresh node (tsx) with `shutdown`, `untilSignal` and @sinonjs/fake-timers
 * (`FakeTimers`) imported; resolves with its exit code, output and run time. With `signalOn`, the
 * child gets SIGTERM once its output holds that text.
 */
function run(body: string, signalOn?: string): Promise<{ code: number | null; out: string; ms: number }> {
  const script = `import m from ${JSON.stringify(SHUTDOWN)};\nimport FakeTimers from ${JSON.stringify(FAKE_TIMERS)};\nconst { shutdown, untilSignal } = m;\n${body}`;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let signalled = false;
  const seen = (c: Buffer) => {
    out += c.toString();
    if (signalOn !== undefined && !signalled && out.includes(signalOn)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', seen);
  child.stderr.on('data', seen);
  return new Promise((done) => child.once('exit', (code) => done({ code, out, ms: Date.now() - started })));
}

/** In the child: fakes setTimeout only (shutdown's deadline timer), so `clock.tick` brings the deadline; a real setInterval keeps the loop alive. */
const FAKE_DEADLINE = `const clock = FakeTimers.install({ toFake: ['setTimeout'] }); setInterval(() => {}, 1000);`;

describe('cli/shutdown: how a server command stops', function () {
  this.timeout(20_000);

  it('runs every step in order and exits 0', async () => {
    const r = await run(
      `process.exitCode = await shutdown([['a', async () => console.log('a')], ['b', async () => console.log('b')]]);`,
    );
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, 'a\nb\n');
  });

  it('reports a failing step by name, still runs the next one, and exits 1', async () => {
    const r = await run(
      `process.exitCode = await shutdown([['close the ledger', async () => { throw new Error('locked'); }], ['b', async () => console.log('b ran')]]);`,
    );
    assert.equal(r.code, 1);
    assert.match(r.out, /shutdown step "close the ledger" failed: locked/);
    assert.match(r.out, /b ran/);
  });

  it('ends the process at the deadline when a step hangs, naming the step', async () => {
    const r = await run(
      `${FAKE_DEADLINE} void shutdown([['close the adapter', () => new Promise(() => {})]], 300); clock.tick(299); console.log('alive at 299 ms'); clock.tick(1); console.log('alive after the deadline'); process.exit(3);`,
    );
    assert.equal(r.code, 1);
    assert.match(
      r.out,
      /^alive at 299 ms\noffload: shutdown took over 300 ms \(still at "close the adapter"\); exiting now\n$/,
    );
  });

  it("ends the process at the deadline with the steps' code when a handle outlives the steps", async () => {
    const r = await run(
      `${FAKE_DEADLINE} process.exitCode = await shutdown([['a', async () => undefined]], 300); clock.tick(299); console.log('alive at 299 ms'); clock.tick(1); console.log('alive after the deadline'); process.exit(3);`,
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^alive at 299 ms\noffload: stopped, but .*Timeout.* kept the process alive; exiting\n$/);
    assert.ok(r.ms < 5_000);
  });

  it('keeps a SIGTERM that arrives before start-up is done, instead of dying by the signal', async () => {
    const r = await run(
      `const signal = untilSignal(); setInterval(() => {}, 1000); console.log('starting'); console.log('got ' + await signal); process.exit(0);`,
      'starting\n',
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /got SIGTERM/);
  });
});
