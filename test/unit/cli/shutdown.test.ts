import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const SHUTDOWN = resolve(__dirname, '../../../src/cli/shutdown.ts');

/** Runs `body` in a fresh node (tsx) with `shutdown` and `untilSignal` imported; resolves with its exit code, output and run time. */
function run(body: string, signalAfterMs?: number): Promise<{ code: number | null; out: string; ms: number }> {
  const script = `import m from ${JSON.stringify(SHUTDOWN)};\nconst { shutdown, untilSignal } = m;\n${body}`;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  if (signalAfterMs !== undefined) setTimeout(() => child.kill('SIGTERM'), signalAfterMs);
  return new Promise((done) => child.once('exit', (code) => done({ code, out, ms: Date.now() - started })));
}

describe('cli/shutdown: how a server command stops', function () {
  this.timeout(20_000);

  it('runs every step in order and exits 0', async () => {
    const r = await run(`process.exitCode = await shutdown([['a', async () => console.log('a')], ['b', async () => console.log('b')]]);`);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, 'a\nb\n');
  });

  it('reports a failing step by name, still runs the next one, and exits 1', async () => {
    const r = await run(`process.exitCode = await shutdown([['close the ledger', async () => { throw new Error('locked'); }], ['b', async () => console.log('b ran')]]);`);
    assert.equal(r.code, 1);
    assert.match(r.out, /shutdown step "close the ledger" failed: locked/);
    assert.match(r.out, /b ran/);
  });

  it('ends the process at the deadline when a step hangs, naming the step', async () => {
    const r = await run(`setInterval(() => {}, 1000); await shutdown([['close the adapter', () => new Promise(() => {})]], 300);`);
    assert.equal(r.code, 1);
    assert.match(r.out, /shutdown took over 300 ms \(still at "close the adapter"\); exiting now/);
  });

  it('ends the process at the deadline with the steps\' code when a handle outlives the steps', async () => {
    const r = await run(`setInterval(() => {}, 1000); process.exitCode = await shutdown([['a', async () => undefined]], 300);`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /stopped, but .*Timeout.* kept the process alive; exiting/);
    assert.ok(r.ms < 5_000);
  });

  it('keeps a SIGTERM that arrives before start-up is done, instead of dying by the signal', async () => {
    const r = await run(`const signal = untilSignal(); setInterval(() => {}, 1000); console.log('got ' + await signal); process.exit(0);`, 1_000);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /got SIGTERM/);
  });
});
