/**
 * The queue bench's measuring process (bench/queue.ts starts it with `--conditions=import`, which
 * the app's execa import needs under tsx):
 * `queue-child.ts JOBS LATENCY_MS CONCURRENCY same|separate|bare WARMUP_JOBS` runs WARMUP_JOBS
 * untimed jobs, then JOBS timed ones, and prints one JSON line `{ wallMs, cpuMs, completed, inFlight }`:
 * `wallMs` from the first submit to the last result, `cpuMs` this process's CPU time (user + system,
 * all its threads: main, GC, JIT) over the same span.
 * - `same`: the scripted gateway (stand-in for the provider) runs on this process's thread, as in
 *   the tests, so its request parsing, strict checks and JSON encoding count in both figures;
 * - `separate`: it runs in a process of its own (test/support/gateway-main.ts, the same script and
 *   strictness), as a real provider runs elsewhere: both figures are the app's alone;
 * - `bare`: no app at all: CONCURRENCY loops of plain undici POSTs of a mini job's request to the
 *   separate gateway. What this machine and HTTP alone cost: the floor under the app's figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { startAppFixture } from '../../test/support/app-fixture';
import { queueScript } from '../../test/support/queue-script';

const JOBS = Number(process.argv[2] ?? 1000);
const LATENCY_MS = Number(process.argv[3] ?? 50);
const CONCURRENCY = Number(process.argv[4] ?? 8);
const GATEWAY = process.argv[5] ?? 'same';
const WARMUP = Number(process.argv[6] ?? CONCURRENCY);

/** What one measured run prints. */
interface Measured {
  wallMs: number;
  cpuMs: number;
  completed: number;
  inFlight: number;
}

/** Starts the gateway in its own process; resolves with it and its base URL (its first stdout line). */
async function separateGateway(): Promise<{ child: ChildProcess; url: string }> {
  const main = join(__dirname, '..', '..', 'test', 'support', 'gateway-main.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', main, '--script', 'queue', '--delay-ms', String(LATENCY_MS)],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`the gateway process exited with ${String(code)}`))),
  ])) as [string];
  lines.close();
  return { child, url: (JSON.parse(first) as { url: string }).url };
}

/** Times `fn` on the wall clock and in CPU time (ms). */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await fn();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** The jobs through the app (JobService.runJob, all submitted at once), on `gatewayUrl` or the fixture's own gateway. */
async function appRun(gatewayUrl: string | undefined): Promise<Measured> {
  // With a separate gateway the fixture's own (in this process) stays idle: the app is pointed elsewhere.
  const fx = await startAppFixture(queueScript(LATENCY_MS), {
    maxConcurrency: CONCURRENCY,
    monthlyBudgetUsd: 1000,
    ...(gatewayUrl !== undefined && { openaiBaseUrl: gatewayUrl }),
  });
  const batch = (n: number, name: string) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => fx.app.jobs.runJob({ agent: 'mini-worker', task: `${name} ${i}` })),
    );
  try {
    // The first calls load the tokenizer and open the gateway's connections; a long warm-up also lets V8 optimize the path.
    await batch(WARMUP, 'warm');
    const { value: jobs, wallMs, cpuMs } = await timed(() => batch(JOBS, 'job'));
    const stats = await fx.app.ledger.spendStats();
    const completed = jobs.filter((j) => j.status === 'completed').length;
    return { wallMs, cpuMs, completed, inFlight: stats.reservations_in_flight };
  } finally {
    await fx.close();
  }
}

/** CONCURRENCY loops of plain POSTs (the body a mini run_job sends), JOBS in all; no app, no ledger. */
async function bareRun(gatewayUrl: string): Promise<Measured> {
  const agent = new Agent();
  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'job 0' }],
    max_tokens: 8192,
    stream: false,
  });
  const post = async () => {
    const res = await request(`${gatewayUrl}/chat/completions`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', authorization: 'Bearer scripted-key' },
      dispatcher: agent,
    });
    await res.body.json();
    if (res.statusCode !== 200) throw new Error(`the gateway answered ${res.statusCode}`);
  };
  const loops = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < n) await post();
      }),
    );
  };
  try {
    await loops(WARMUP);
    const { wallMs, cpuMs } = await timed(() => loops(JOBS));
    return { wallMs, cpuMs, completed: JOBS, inFlight: 0 };
  } finally {
    await agent.close();
  }
}

async function main(): Promise<void> {
  if (!['same', 'separate', 'bare'].includes(GATEWAY))
    throw new Error(`gateway must be same, separate or bare, got ${GATEWAY}`);
  const remote = GATEWAY === 'same' ? undefined : await separateGateway();
  try {
    const measured = remote && GATEWAY === 'bare' ? await bareRun(remote.url) : await appRun(remote?.url);
    process.stdout.write(`${JSON.stringify(measured)}\n`);
  } finally {
    remote?.child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
