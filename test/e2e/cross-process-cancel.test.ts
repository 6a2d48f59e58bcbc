import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createDemoRepo } from '../../src/cli/demo-repo';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { toolJson } from '../support/app-fixture';
import { startScriptedGateway, type Reply, type Script } from '../support/scripted-gateway';
import { connectWorker } from '../support/worker-client';

/** The job's slow step: an allowed check command, so acceptEdits lets Claude Code's Bash tool run it. */
const SLOW = 'sleep 297';
const usage = { prompt_tokens: 1000, completion_tokens: 40 };

/**
 * The cheap model's side: turn 1 starts SLOW in the background with Bash (a grandchild of the
 * worker, in Claude Code's process group), turn 2 never answers (its reservation stays in flight).
 * Tool-less requests are Claude Code's background calls (the session title).
 */
const script: Script = (req): Reply => {
  if (!req.body.tools?.length) return { text: '{"title": "Slow job"}', usage };
  const results = (req.body.messages as { role: string }[]).filter((m) => m.role === 'tool').length;
  if (results === 0)
    return {
      tool_calls: [{ name: 'Bash', arguments: { command: SLOW, description: 'Wait', run_in_background: true } }],
      usage,
    };
  return { text: 'Still thinking.', usage, delayMs: 600_000 };
};

/** Live processes (zombies have no cwd or cmdline) working in `dir` or naming it. */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        /* not ours to read, or a zombie */
      }
      if (cwd === dir || cwd.startsWith(`${dir}/`) || cmdline.includes(dir)) found.push(`${pid} ${cmdline}`);
    } catch {
      /* ended meanwhile */
    }
  }
  return found;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await pause(200);
  }
}

/** Starts the slow job on `client` and waits until its background Bash step runs. Returns the job id. */
async function startSlowJob(client: Client, repo: string): Promise<string> {
  const started = toolJson(
    await client.callTool({
      name: 'start',
      arguments: {
        prompt: 'Wait for the slow step.',
        allowed_dirs: [repo],
        checks: [{ name: 'slow', command: SLOW, timeout_ms: 300_000 }],
      },
    }),
  );
  await eventually('the background Bash step', async () =>
    processesIn(repo).some((p) => p.includes(SLOW)) ? true : undefined,
  );
  return String(started.job_id);
}

describe('@real-cli end to end: tail and cancel a real Claude Code job from a second worker process', function () {
  this.timeout(180_000);

  it("kills the job's process tree when its worker gets SIGTERM (the CLI runs detached and would outlive it)", async () => {
    const gateway = await startScriptedGateway({ script });
    const repo = createDemoRepo();
    const ledgerPath = join(dirname(repo), 'ledger.sqlite');
    const worker = await connectWorker({
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key',
      OFFLOAD_LEDGER: ledgerPath,
      SANDBOX_ROOT: dirname(repo),
    });
    try {
      const jobId = await startSlowJob(worker.client, repo);
      assert.ok(worker.pid);
      process.kill(worker.pid, 'SIGTERM');
      await eventually('the worker to exit', async () => (alive(worker.pid!) ? undefined : true), 20_000);
      const left = await eventually(
        "the job's processes to exit",
        async () => (processesIn(repo).length === 0 ? [] : undefined),
        5_000,
      ).catch(() => processesIn(repo));
      assert.deepEqual(left, [], `processes left behind: ${left.join('; ')}`);
      const ledger = await openLedger(ledgerPath, { caps: { monthlyMicros: 25e6, dailyMicros: null } });
      try {
        assert.equal((await ledger.getJob(jobId))?.status, 'cancelled');
        assert.deepEqual(
          (await ledger.listReservations()).filter((r) => r.jobId === jobId),
          [],
          'no reservation left for the job',
        );
      } finally {
        await ledger.close();
      }
    } finally {
      await worker.client.close();
      await gateway.close();
      rmSync(dirname(repo), { recursive: true, force: true });
    }
  });

  it('tails the job from its log file, cancels it through the shared ledger, and leaves no process or reservation behind', async () => {
    const gateway = await startScriptedGateway({ script });
    const repo = createDemoRepo();
    const ledgerPath = join(dirname(repo), 'ledger.sqlite');
    const env = {
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key',
      OFFLOAD_LEDGER: ledgerPath,
      SANDBOX_ROOT: dirname(repo),
    };
    const clients: Client[] = [];
    try {
      const owner = await connectWorker(env);
      clients.push(owner.client);
      const other = await connectWorker(env);
      clients.push(other.client);

      const jobId = await startSlowJob(owner.client, repo);

      // The second worker never ran the job: it tails it from the job's log file beside the ledger.
      const tail = await eventually('the Bash step in the log read by the second worker', async () => {
        const t = toolJson(await other.client.callTool({ name: 'tail', arguments: { job_id: jobId, lines: 50 } }));
        return gateway.requests.filter((r) => r.body.tools?.length).length >= 2 &&
          t.lines.some((l: string) => l.includes(SLOW))
          ? t
          : undefined;
      });
      assert.equal(tail.log_source, 'file');
      assert.equal(tail.job_status, 'running');
      const claudePid = Number(/claude started: pid (\d+)/.exec(tail.lines.join('\n'))?.[1]);
      assert.ok(claudePid > 0, tail.lines.join('\n'));
      assert.ok(!JSON.stringify(tail).includes('scripted-key'), 'the log is redacted');

      const ledger = await openLedger(ledgerPath, { caps: { monthlyMicros: 25e6, dailyMicros: null } });
      try {
        const held = await eventually("the stalled call's reservation", async () => {
          const mine = (await ledger.listReservations()).filter((r) => r.jobId === jobId);
          return mine.length ? mine : undefined;
        });
        assert.ok(held.every((r) => r.pid !== process.pid));
        const running = processesIn(repo);
        assert.ok(
          running.some((p) => p.includes(SLOW)),
          `the background Bash step runs: ${running.join('; ')}`,
        );

        const cancelled = toolJson(await other.client.callTool({ name: 'cancel', arguments: { job_id: jobId } }));
        assert.equal(cancelled.cancel, 'stopped_by_owner', JSON.stringify(cancelled));
        assert.equal(cancelled.job_status, 'cancelled');
        assert.equal(cancelled.cancelled, true);

        // The owner killed Claude Code's whole process group: the CLI, its Bash tool, the sleep.
        const left = await eventually(
          "the job's processes to exit",
          async () => (processesIn(repo).length === 0 && !alive(claudePid) ? [] : undefined),
          5_000,
        ).catch(() => processesIn(repo));
        assert.deepEqual(left, [], `processes left behind: ${left.join('; ')}`);
        assert.deepEqual(
          (await ledger.listReservations()).filter((r) => r.jobId === jobId),
          [],
          'no reservation left for the job',
        );
        assert.equal((await ledger.getJob(jobId))?.status, 'cancelled');
      } finally {
        await ledger.close();
      }
      const after = toolJson(await other.client.callTool({ name: 'tail', arguments: { job_id: jobId, lines: 5 } }));
      assert.equal(after.lines.at(-1), 'job cancelled');
      const own = toolJson(await owner.client.callTool({ name: 'get_job_status', arguments: { job_id: jobId } }));
      assert.equal(own.job_status, 'cancelled', 'the owner agrees');
    } finally {
      for (const c of clients) await c.close();
      await gateway.close();
      rmSync(dirname(repo), { recursive: true, force: true });
    }
  });
});

/** True while `pid` is a live process (not a zombie). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
