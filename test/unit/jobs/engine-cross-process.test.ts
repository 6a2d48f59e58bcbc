import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IntervalTimer } from '../../../src/jobs/cancel-watch';
import { JobEngine } from '../../../src/jobs/engine';
import { jobLogPath } from '../../../src/jobs/job-log-file';
import type { RunContext, RunOutcome, Runner } from '../../../src/jobs/runner';
import { openLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';
import { fakeTimers, settleOn } from '../fake-clock';

const SECRET = 'sk-very-secret-key-123';

/** A runner that logs, holds a reservation, and runs until aborted; it releases in finally, as the real runners do. */
function holdingRunner(ledger: HostLedger): Runner<unknown> & { started: RunContext[] } {
  const started: RunContext[] = [];
  return {
    kind: 'claude-code',
    started,
    async run(ctx) {
      started.push(ctx);
      ctx.log(`calling with ${SECRET}`);
      const r = await ledger.reserve({ jobId: ctx.job.id, model: 'm', micros: 1000 });
      try {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        return { status: 'failed', error: String((ctx.signal.reason as Error).message) } satisfies RunOutcome;
      } finally {
        await ledger.release(r.id);
      }
    },
  };
}

/** A timer the test fires by hand. */
function manualTimer(): IntervalTimer & { fire(): void; running: () => boolean } {
  let fn: (() => void) | undefined;
  return {
    setInterval(f) {
      fn = f;
      return 1;
    },
    clearInterval() {
      fn = undefined;
    },
    fire() {
      fn?.();
    },
    running: () => fn !== undefined,
  };
}

const until = async (check: () => Promise<boolean>) => {
  while (!(await check())) await new Promise((r) => setImmediate(r));
};

/** Two processes' engines (pids 111, 222) on one ledger file and one log folder. */
describe('JobEngine across processes (tail and cancel from another process)', () => {
  let dir: string;
  let ledgers: HostLedger[];
  let owner: JobEngine;
  let other: JobEngine;
  let timer: ReturnType<typeof manualTimer>;
  let runner: ReturnType<typeof holdingRunner>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'offload-xproc-'));
    const file = join(dir, 'ledger.sqlite');
    const alive = (pid: number) => pid === 111 || pid === 222;
    ledgers = [
      await openLedger(file, { caps: { monthlyMicros: 1e6, dailyMicros: null }, pid: 111, isAlive: alive }),
      await openLedger(file, { caps: { monthlyMicros: 1e6, dailyMicros: null }, pid: 222, isAlive: alive }),
    ];
    timer = manualTimer();
    const logDir = join(dir, 'jobs');
    owner = new JobEngine(ledgers[0]!, { concurrency: 2, secrets: () => [SECRET], logDir, cancelTimer: timer });
    other = new JobEngine(ledgers[1]!, { concurrency: 2, logDir, cancelWaitMs: 2_000 });
    runner = holdingRunner(ledgers[0]!);
    owner.register(runner);
  });
  afterEach(async () => {
    await owner.cancelAll();
    await owner.idle();
    for (const l of ledgers) await l.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startJob() {
    const job = await owner.submit('claude-code', {}, { model: 'm' });
    await until(async () => (await ledgers[0]!.listReservations()).length === 1);
    return job;
  }

  it('tails a job of another process from its log file, redacted', async () => {
    const job = await startJob();
    const tail = await other.tail(job.id, 10);
    assert.deepEqual(tail, { lines: ['calling with [REDACTED]'], total: 1, source: 'file' });
    assert.ok(!readFileSync(jobLogPath(join(dir, 'jobs'), job.id), 'utf8').includes(SECRET));
    assert.equal((await owner.tail(job.id, 10)).source, 'memory', 'the owner reads its own memory');
  });

  it('cancels a job of another process: its owner aborts it at the next poll and its reservation is released', async () => {
    const job = await startJob();
    assert.ok(timer.running(), 'the owner watches while it has a job');
    const cancelling = other.cancelAnywhere(job.id);
    await until(async () => (await ledgers[0]!.cancelRequested([job.id])).length === 1);
    assert.equal((await ledgers[0]!.getJob(job.id))?.status, 'running', 'nothing happens before the owner polls');
    timer.fire();
    const outcome = await cancelling;
    assert.equal(outcome.cancel, 'stopped_by_owner');
    assert.equal(outcome.job.status, 'cancelled');
    assert.match(outcome.job.error ?? '', /cancelled from another process/);
    assert.deepEqual(await ledgers[1]!.listReservations(), [], 'no reservation left for the job');
    const tail = await other.tail(job.id, 10);
    assert.equal(tail.lines.at(-1), 'job cancelled');
  });

  it('says the cancel was requested when the owner does not confirm within the wait', async () => {
    const job = await startJob();
    const clock = fakeTimers(); // its wait's looks every 50 ms sleep on it; the ledger is real
    const quick = new JobEngine(ledgers[1]!, { concurrency: 1, cancelWaitMs: 5_000, timers: clock });
    const start = clock.now;
    const outcome = await settleOn(clock, quick.cancelAnywhere(job.id));
    assert.ok(clock.now - start >= 5_000, `it waited its cancelWaitMs, not ${clock.now - start} ms`);
    assert.deepEqual([outcome.cancel, outcome.cancelled, outcome.job.status], ['requested', true, 'running']);
    timer.fire();
    assert.equal((await owner.wait(job.id, 2_000)).status, 'cancelled', 'the owner still acts on it later');
  });

  it('stops its own job directly and reports an ended job as ended', async () => {
    const job = await startJob();
    const stopped = await owner.cancelAnywhere(job.id);
    assert.deepEqual([stopped.cancel, stopped.job.status], ['stopped', 'cancelled']);
    const again = await other.cancelAnywhere(job.id);
    assert.deepEqual([again.cancel, again.cancelled], ['already_ended', false]);
    await assert.rejects(other.cancelAnywhere('nope'), /job_id nope is unknown/);
  });

  it('polls on its own with the default timer', async () => {
    const polling = new JobEngine(ledgers[0]!, { concurrency: 1, cancelPollMs: 20 });
    polling.register(runner);
    const job = await polling.submit('claude-code', {}, { model: 'm' });
    await until(async () => (await ledgers[0]!.listReservations()).length === 1);
    const outcome = await other.cancelAnywhere(job.id);
    assert.deepEqual([outcome.cancel, outcome.job.status], ['stopped_by_owner', 'cancelled']);
    polling.stopWatching();
  });

  it('stops its poll timer once it has no job left', async () => {
    const job = await startJob();
    await owner.cancel(job.id);
    await owner.wait(job.id, 2_000);
    timer.fire();
    await until(async () => !timer.running());
  });
});
