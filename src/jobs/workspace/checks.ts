/**
 * Check commands (`checks: [{name, command, timeout_ms}]` of a `start` request): run each in the
 * job's directory through the shell, kill its whole process tree on timeout or cancel, and keep
 * the last few KB of output for the result.
 */
import { execa } from 'execa';
import { childEnv } from '../../core/child-env';
import type { Timers } from '../../core/timers';
import { killTree } from '../process-tree';

/** One check as requested. `timeout_ms` in ms. */
export interface CheckSpec {
  name: string;
  command: string;
  timeout_ms: number;
}

/** How a check ended. `cancelled`: the job's signal aborted it. */
export type CheckStatus = 'passed' | 'failed' | 'timed_out' | 'cancelled';

/**
 * Outcome of one check. `exitCode` null when killed by a signal (then `signal` names it);
 * `outputTail` is the end of stdout and stderr, interleaved; `durationMs` and `timeoutMs` in ms.
 */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  outputTail: string;
  timeoutMs: number;
}

/** Options of {@link runCheck}. */
export interface RunCheckOptions {
  signal?: AbortSignal;
  /** Bytes of output kept (the end). Default 4096. */
  tailBytes?: number;
  /** Environment of the command, used as is (default: src/core/child-env.ts's allow-list over this process's env). */
  env?: Record<string, string | undefined>;
  /** Grace between SIGTERM and SIGKILL, ms. Default 2000. */
  killGraceMs?: number;
  /** Clock for durations, ms. Default the Date.now of `timers`. */
  now?: () => number;
  /** The clock the timeout and the kill grace run on. Default globalThis. */
  timers?: Timers;
}

/** Keeps the last `max` bytes written to it. */
class Tail {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
    while (this.parts.length > 1 && this.size - this.parts[0]!.length >= this.max)
      this.size -= this.parts.shift()!.length;
  }
  toString(): string {
    const all = Buffer.concat(this.parts);
    return all
      .subarray(Math.max(0, all.length - this.max))
      .toString('utf8')
      .replace(/^\uFFFD+/, '');
  }
}

/**
 * Runs `check.command` with the shell in `cwd`, in its own process group, stdin closed. Passed
 * means exit code 0. On timeout (or abort) the whole group gets SIGTERM, then SIGKILL after the
 * grace period. Never rejects for the command's own failure; rejects only if it cannot spawn.
 */
export async function runCheck(check: CheckSpec, cwd: string, opts: RunCheckOptions = {}): Promise<CheckResult> {
  const clock = opts.timers ?? globalThis;
  const now = opts.now ?? (() => clock.Date.now());
  const started = now();
  const tail = new Tail(opts.tailBytes ?? 4096);
  let ended: 'timed_out' | 'cancelled' | null = null;
  const sub = execa(check.command, {
    shell: true,
    cwd,
    detached: process.platform !== 'win32',
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    env: opts.env ?? childEnv(process.env),
    extendEnv: false,
  });
  sub.all?.on('data', (b: Buffer) => tail.push(b));
  const timers: unknown[] = [];
  const stop = (why: 'timed_out' | 'cancelled') => {
    if (ended || sub.pid === undefined) return;
    ended = why;
    killTree(sub.pid, 'SIGTERM');
    timers.push(clock.setTimeout(() => killTree(sub.pid!, 'SIGKILL'), opts.killGraceMs ?? 2000));
  };
  timers.push(clock.setTimeout(() => stop('timed_out'), check.timeout_ms));
  const onAbort = () => stop('cancelled');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await sub;
    if (r.failed && r.exitCode === undefined && !r.signal && !ended) throw r; // could not spawn
    const exitCode = r.exitCode ?? null;
    const status: CheckStatus = ended ?? (exitCode === 0 ? 'passed' : 'failed');
    return {
      name: check.name,
      status,
      exitCode,
      signal: r.signal ?? null,
      durationMs: now() - started,
      outputTail: tail.toString(),
      timeoutMs: check.timeout_ms,
    };
  } finally {
    for (const t of timers) clock.clearTimeout(t);
    opts.signal?.removeEventListener('abort', onAbort);
    if (ended && sub.pid !== undefined) killTree(sub.pid, 'SIGKILL'); // leave no stragglers in the group
  }
}

/**
 * One result line, e.g. `unit tests: passed`, `unit tests: failed (exit 1)`,
 * `unit tests: failed (killed by SIGSEGV)`, `unit tests: timed out (after 600000 ms)`, `unit tests: cancelled`.
 */
export function formatCheckLine(r: Pick<CheckResult, 'name' | 'status' | 'exitCode' | 'signal' | 'timeoutMs'>): string {
  switch (r.status) {
    case 'passed':
      return `${r.name}: passed`;
    case 'failed':
      return `${r.name}: failed (${r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.exitCode}`})`;
    case 'timed_out':
      return `${r.name}: timed out (after ${r.timeoutMs} ms)`;
    case 'cancelled':
      return `${r.name}: cancelled`;
  }
}
