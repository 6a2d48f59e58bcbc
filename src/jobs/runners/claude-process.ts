import { execa } from 'execa';
import { killTree } from '../process-tree';
import { readStreamLine, type ClaudeResultEvent } from './claude-stream';

/** How one Claude Code process ended. */
export interface ClaudeRun {
  /** The final `result` event, if the CLI got that far. */
  final?: ClaudeResultEvent;
  exitCode?: number;
  /** The session id from the `system`/init event, for `--resume` on a revise pass. */
  sessionId?: string;
  /** UTF-8 bytes the CLI wrote to stdout (its stream-json transcript). */
  stdoutBytes?: number;
}

export interface ClaudeProcessOptions {
  claudePath: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  log: (line: string) => void;
}

/**
 * Runs the Claude Code CLI once with stream-json output, turning its events into log lines.
 * stdin is closed (an open stdin makes the CLI wait 3 s, measured on 2.1.197). The CLI runs as
 * the leader of its own process group, and `signal` kills its whole process tree (the CLI, its
 * Bash tool's commands, which run in sessions of their own, their children: killTree). Never rejects on a non-zero exit: that is in the result.
 */
export async function runClaudeProcess(opts: ClaudeProcessOptions): Promise<ClaudeRun> {
  const run: ClaudeRun = { stdoutBytes: 0 };
  const child = execa(opts.claudePath, opts.args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    stdin: 'ignore',
    detached: true,
    reject: false,
    buffer: { stdout: false, stderr: true },
    maxBuffer: { stderr: 64 * 1024 },
  });
  const stopTree = () => {
    if (child.pid) killTree(child.pid);
  };
  opts.signal.addEventListener('abort', stopTree, { once: true });
  if (child.pid) opts.log(`claude started: pid ${child.pid} (leader of its process group)`);
  const take = (line: string) => {
    const read = readStreamLine(line);
    for (const l of read.logs) opts.log(l);
    if (read.result) run.final = read.result;
    if (read.sessionId) run.sessionId = read.sessionId;
  };
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    run.stdoutBytes! += Buffer.byteLength(chunk, 'utf8');
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      take(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  try {
    const done = await child;
    if (pending) take(pending);
    run.exitCode = done.exitCode;
    if (done.exitCode !== 0 && typeof done.stderr === 'string' && done.stderr.trim())
      opts.log(`claude stderr: ${done.stderr.trim().slice(-500)}`);
  } finally {
    opts.signal.removeEventListener('abort', stopTree);
  }
  return run;
}
