import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobEngine } from '../../../src/jobs/engine';
import type { Runner } from '../../../src/jobs/runner';
import { startAdoptionSweep } from '../../../src/jobs/waiting-adoption';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps } from '../ledger/helpers';
import { fakeTimers, settleOn } from '../fake-clock';

const START = Date.parse('2026-12-03T16:29:00Z');

describe('startAdoptionSweep', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'offload-adoption-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes up, at its next sweep, a waiting job that a process died with while this one was running, and runs it at its start time', async () => {
    const file = join(dir, 'ledger.sqlite');
    const dead = await openLedger(file, { caps: caps(1_000_000), pid: 7 });
    const me = await openLedger(file, { caps: caps(1_000_000), pid: 9 });
    const clock = fakeTimers(START);
    const ran: { id: string; at: number; request: unknown }[] = [];
    const runner: Runner<unknown> = {
      kind: 'llm',
      run(ctx, request) {
        ran.push({ id: ctx.job.id, at: clock.now, request });
        return Promise.resolve({ status: 'completed', result: { output: 'ok' } });
      },
    };
    const engine = new JobEngine(me, { concurrency: 1, timers: clock, cancelPollMs: 3_600_000 });
    engine.register(runner);
    const lines: string[] = [];
    const sweep = startAdoptionSweep({
      everyMs: 20_000,
      ledger: me,
      engine,
      isAlive: (pid) => pid !== 7,
      timers: clock,
      log: (l) => lines.push(l),
    });
    try {
      assert.equal(await sweep.first, 0, 'nothing to take up yet');
      await dead.createJob({ id: 'w', kind: 'llm', model: 'deepseek-chat', request: { task: 'Summarize' } });
      await dead.updateJob('w', {
        result: { scheduled_for: '2026-12-03T16:30:00.000Z', schedule: { not_after: '2026-12-04T16:29:00.000Z' } },
      });
      assert.deepEqual(engine.activeJobIds(), []);
      let adoptedAt = 0;
      const job = await settleOn(
        clock,
        (async () => {
          for (;;) {
            if (!adoptedAt && engine.activeJobIds().includes('w')) adoptedAt = clock.now;
            const j = await me.getJob('w');
            if (j && j.status !== 'queued' && j.status !== 'running') return j;
            await new Promise((r) => setImmediate(r));
          }
        })(),
      );
      assert.equal(job.status, 'completed');
      assert.ok(
        adoptedAt > START && adoptedAt < Date.parse('2026-12-03T16:30:00Z'),
        'a later sweep took it, before its start',
      );
      assert.equal(ran.length, 1);
      assert.deepEqual(ran[0]!.request, { task: 'Summarize' });
      assert.ok(ran[0]!.at >= Date.parse('2026-12-03T16:30:00Z'), 'it waited for its start time');
      assert.match(lines.join('\n'), /took up 1 job\(s\) waiting for their start time/);
    } finally {
      sweep.stop();
      engine.stopWatching();
      await Promise.all([dead.close(), me.close()]);
    }
  });
});
