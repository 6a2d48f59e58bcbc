import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { caps } from '../unit/ledger/helpers';

const CHILD = path.join(__dirname, 'fixtures', 'scheduled-worker.ts');

/** One line the fixture printed. */
interface Said {
  event: string;
  ids?: string[];
  jobs?: { job_id: string; status: string; result: { scheduled_for?: string } | null }[];
  now?: number;
}

/** An app in a process of its own (fixtures/scheduled-worker.ts) on the shifted clock `now` (ISO, from this moment on). */
function worker(mode: 'submit' | 'adopt', env: Record<string, string>, now: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=import', CHILD, mode], {
    env: { ...process.env, ...env, OFFLOAD_TEST_NOW: now, OFFLOAD_TEST_NOW_AT: String(Date.now()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const said: Said[] = [];
  let out = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      said.push(JSON.parse(out.slice(0, i)) as Said);
      out = out.slice(i + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    /** The first line with this event; rejects when the process exits without printing it. */
    async next(event: string): Promise<Said> {
      for (;;) {
        const hit = said.find((s) => s.event === event);
        if (hit) return hit;
        const gone = await Promise.race([
          new Promise<false>((r) => waiters.push(() => r(false))),
          exited.then(() => true),
        ]);
        if (gone && !said.some((s) => s.event === event))
          throw new Error(`the ${mode} worker exited without "${event}": ${stderr}`);
      }
    },
  };
}

const kill = async (child: ChildProcess, exited: Promise<unknown>) => {
  child.kill('SIGKILL');
  await exited;
};

// The scripted gateway is the stand-in for the model provider; the workers' mini-worker is deepseek-chat, whose off-peak
// window (half price, @pydantic/genai-prices) opens at 16:30 UTC.
describe('a job waiting for its off-peak start outlives its process: another live process adopts it (real processes, SIGKILL)', function () {
  this.timeout(90_000);
  let dir: string;
  let gateway: ScriptedGateway;
  let env: Record<string, string>;
  beforeEach(async () => {
    dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'offload-adopt-')));
    gateway = await startScriptedGateway({
      script: () => ({ text: 'done', usage: { prompt_tokens: 100, completion_tokens: 10 } }),
    });
    env = {
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'scripted-key',
      OFFLOAD_LEDGER: path.join(dir, 'ledger.sqlite'),
      SANDBOX_ROOT: dir,
      OFFLOAD_AGENTS: '{"mini-worker":"deepseek-chat"}',
    };
  });
  afterEach(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exactly one of two live processes takes the jobs up and runs them at their start time', async () => {
    const jobs = [
      { agent: 'mini-worker', task: 'Summarize one', when: 'cheapest' },
      { agent: 'mini-worker', task: 'Summarize two', not_after: '2026-12-03T16:45:00Z' },
    ];
    const a = worker('submit', { ...env, OFFLOAD_TEST_JOBS: JSON.stringify(jobs) }, '2026-12-03T16:29:30Z');
    const queued = await a.next('queued');
    const ids = queued.jobs!.map((j) => j.job_id);
    assert.deepEqual(
      queued.jobs!.map((j) => [j.status, j.result?.scheduled_for]),
      [
        ['queued', '2026-12-03T16:30:00.000Z'],
        ['queued', '2026-12-03T16:30:00.000Z'],
      ],
    );
    await kill(a.child, a.exited);
    assert.equal(gateway.requests.length, 0, 'nothing ran before its start time');

    // Two processes open the ledger at once, on the same clock (a few seconds before 16:30 UTC).
    const b1 = worker('adopt', env, '2026-12-03T16:29:52Z');
    const b2 = worker('adopt', env, '2026-12-03T16:29:52Z');
    const [got1, got2] = await Promise.all([b1.next('adopted'), b2.next('adopted')]);
    assert.deepEqual(
      [...got1.ids!, ...got2.ids!].sort(),
      [...ids].sort(),
      `each job adopted once: ${JSON.stringify([got1, got2])}`,
    );
    assert.ok(got1.ids!.length === 0 || got2.ids!.length === 0, 'one process took both (one transaction)');
    const adopter = got1.ids!.length ? b1 : b2;
    const done = await adopter.next('done');
    assert.deepEqual(
      done.jobs!.map((j) => [j.status, j.result?.scheduled_for]),
      [
        ['completed', '2026-12-03T16:30:00.000Z'],
        ['completed', '2026-12-03T16:30:00.000Z'],
      ],
    );
    assert.ok(done.now! >= Date.parse('2026-12-03T16:30:00Z'), 'it waited for the start time');
    assert.deepEqual(await Promise.all([b1.exited, b2.exited]), [0, 0]);
    assert.equal(gateway.requests.length, 2, 'each job ran once');

    const ledger = await openLedger(env.OFFLOAD_LEDGER!, { caps: caps(25_000_000) });
    try {
      for (const id of ids) assert.equal((await ledger.getJob(id))?.status, 'completed');
      assert.equal((await ledger.spendStats()).reserved, 0);
    } finally {
      await ledger.close();
    }
  });

  it('ends a job whose deadline passed before a live process came, naming why, and runs nothing', async () => {
    const jobs = [{ agent: 'mini-worker', task: 'Summarize', not_after: '2026-12-03T16:30:00Z' }];
    const a = worker('submit', { ...env, OFFLOAD_TEST_JOBS: JSON.stringify(jobs) }, '2026-12-03T16:29:00Z');
    const [job] = (await a.next('queued')).jobs!;
    assert.equal(job!.status, 'queued');
    await kill(a.child, a.exited);

    const b = worker('adopt', env, '2026-12-03T16:31:00Z');
    assert.deepEqual((await b.next('adopted')).ids, []);
    assert.equal(await b.exited, 0);
    const ledger = await openLedger(env.OFFLOAD_LEDGER!, { caps: caps(25_000_000) });
    try {
      const ended = await ledger.getJob(job!.job_id);
      assert.equal(ended?.status, 'failed');
      assert.match(
        ended?.error ?? '',
        /exited, and its deadline \(2026-12-03T16:30:00\.000Z\) passed before another process could take it up \(2026-12-03T16:31:\d\d\.\d{3}Z\); nothing was spent: submit it again/,
      );
    } finally {
      await ledger.close();
    }
    assert.equal(gateway.requests.length, 0);
  });
});
