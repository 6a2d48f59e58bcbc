import { strict as assert } from 'node:assert';
import { BudgetExceededError } from '../../../src/core/budget';
import { JobEngine } from '../../../src/jobs/engine';
import type { RunContext, RunOutcome, Runner } from '../../../src/jobs/runner';
import { openMemoryLedger } from '../../../src/ledger/sqlite-ledger';
import { fakeTimers } from '../fake-clock';

/** A runner whose runs the test finishes by hand. */
function manualRunner(): Runner<unknown> & { started: RunContext[]; finish(i: number, o: RunOutcome | Error): void } {
  const pending: ((o: RunOutcome | Error) => void)[] = [];
  const started: RunContext[] = [];
  return {
    kind: 'llm',
    started,
    run(ctx) {
      started.push(ctx);
      return new Promise<RunOutcome>((resolve, reject) => {
        pending.push((o) => (o instanceof Error ? reject(o) : resolve(o)));
        ctx.signal.addEventListener('abort', () => resolve({ status: 'failed', error: 'aborted' }));
      });
    },
    finish(i, o) {
      pending[i]!(o);
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('JobEngine', () => {
  async function setup(concurrency = 2, timers?: ReturnType<typeof fakeTimers>) {
    const ledger = await openMemoryLedger({ caps: { monthlyMicros: 1_000_000, dailyMicros: null } });
    const engine = new JobEngine(ledger, { concurrency, secrets: () => ['sk-very-secret-key-123'], timers });
    const runner = manualRunner();
    engine.register(runner);
    return { ledger, engine, runner };
  }

  it('returns the running job when wait times out, and the job keeps running', async () => {
    const clock = fakeTimers(); // wait's timeout runs on it
    const { engine, runner } = await setup(2, clock);
    const job = await engine.submit('llm', {}, { model: 'gpt-4o-mini' });
    let waited: Awaited<ReturnType<typeof engine.wait>> | undefined;
    const waitedStatus = () => waited?.status; // a call, so that the assert below does not narrow `waited` for good
    const waiting = engine.wait(job.id, 60_000).then((j) => {
      waited = j;
    });
    await tick();
    clock.tick(59_999);
    await tick();
    assert.equal(waitedStatus(), undefined, 'still waiting before its timeout');
    clock.tick(1);
    await waiting;
    assert.equal(waitedStatus(), 'running');
    assert.equal(clock.countTimers(), 0, 'no timer left behind');
    runner.finish(0, { status: 'completed', result: { output: 'done' } });
    const done = await engine.wait(job.id, 60_000);
    assert.equal(clock.countTimers(), 0, 'the finished wait cleared its timeout');
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.result, { output: 'done' });
  });

  it('runs no more jobs at once than its concurrency', async () => {
    const { engine, runner } = await setup(2);
    const jobs = await Promise.all([1, 2, 3].map(() => engine.submit('llm', {}, { model: 'gpt-4o-mini' })));
    await tick();
    assert.equal(runner.started.length, 2);
    assert.equal((await engine.get(jobs[2]!.id))?.status, 'queued');
    runner.finish(0, { status: 'completed' });
    await engine.wait(jobs[0]!.id, 1000);
    await tick();
    assert.equal(runner.started.length, 3);
  });

  it('marks a cancelled job cancelled even when its runner reports a failure after the abort', async () => {
    const { engine } = await setup();
    const job = await engine.submit('llm', {}, { model: 'gpt-4o-mini' });
    await tick();
    assert.equal(await engine.cancel(job.id), true);
    assert.equal((await engine.wait(job.id, 1000)).status, 'cancelled');
    assert.equal(await engine.cancel(job.id), false, 'a finished job cannot be cancelled again');
  });

  const throws: { name: string; error: Error; status: string; message: RegExp }[] = [
    {
      name: 'a budget refusal ends budget_exceeded',
      error: new BudgetExceededError('monthly', 10, 20, 1_000_000),
      status: 'budget_exceeded',
      message: /monthly budget exceeded/,
    },
    { name: 'an unexpected fault ends failed', error: new Error('boom'), status: 'failed', message: /boom/ },
  ];
  for (const c of throws) {
    it(`turns a runner that throws into a result: ${c.name}`, async () => {
      const { engine, runner } = await setup();
      const job = await engine.submit('llm', {}, { model: 'gpt-4o-mini' });
      await tick();
      runner.finish(0, c.error);
      const done = await engine.wait(job.id, 1000);
      assert.equal(done.status, c.status);
      assert.match(done.error ?? '', c.message);
    });
  }

  it('redacts secrets from logs, errors and results', async () => {
    const { engine, runner } = await setup();
    const job = await engine.submit('llm', {}, { model: 'gpt-4o-mini' });
    await tick();
    runner.started[0]!.log('calling with sk-very-secret-key-123');
    runner.finish(0, {
      status: 'failed',
      error: 'key sk-very-secret-key-123 rejected',
      result: { echo: 'sk-very-secret-key-123' },
    });
    const done = await engine.wait(job.id, 1000);
    const everything = JSON.stringify([done, await engine.tail(job.id, 10)]);
    assert.ok(!everything.includes('sk-very-secret-key-123'));
    assert.match(everything, /\[REDACTED\]/);
  });

  it('lists only its own unfinished jobs, and cancelAll cancels exactly those', async () => {
    const { ledger, engine, runner } = await setup(2);
    await ledger.createJob({ id: 'other-process', kind: 'llm', model: 'gpt-4o-mini', request: {}, status: 'running' });
    const [a, b] = await Promise.all([1, 2].map(() => engine.submit('llm', {}, { model: 'gpt-4o-mini' })));
    await tick();
    runner.finish(0, { status: 'completed' });
    await engine.wait(a!.id, 1000);
    assert.deepEqual(engine.activeJobIds(), [b!.id]);
    await engine.cancelAll();
    assert.equal((await engine.wait(b!.id, 1000)).status, 'cancelled');
    assert.deepEqual(engine.activeJobIds(), []);
    assert.equal(
      (await ledger.getJob('other-process'))?.status,
      'running',
      "another process's job is not ours to cancel",
    );
  });

  it('throws naming job_id for an unknown job', async () => {
    const { engine } = await setup();
    await assert.rejects(engine.wait('nope', 10), /job_id nope is unknown/);
  });
});
