import { SERVER_STOP_DEADLINE_MS } from '../core/http-guard';

/**
 * Resolves with the first SIGINT or SIGTERM. Call it before start-up, so a signal that arrives
 * while the app is still opening its ledger is kept (the command then stops as soon as it is up)
 * rather than killing the process with the default action. A second signal while the command is
 * stopping exits at once (code 130/143).
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let got: NodeJS.Signals | undefined;
    const on = (signal: NodeJS.Signals) => {
      if (got) process.exit(signal === 'SIGINT' ? 130 : 143);
      got = signal;
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * Runs the steps of a server's shutdown in order (stop listening, settle or release in-flight
 * calls, end child processes, close the ledger) and resolves when they are done, to 0, or 1 when a
 * step threw (it is reported and the next one still runs). At `deadlineMs` (default
 * {@link SERVER_STOP_DEADLINE_MS}) the process ends whatever holds it: with exit code 1 and the
 * name of the step still running, or — every step done but a handle (a socket, a timer) still
 * keeping the event loop alive — with the steps' code and the kinds of handles left. So no server
 * outlives a SIGTERM by more than about 2 s.
 */
export async function shutdown(
  steps: Array<[name: string, step: () => Promise<unknown>]>,
  deadlineMs = SERVER_STOP_DEADLINE_MS,
): Promise<number> {
  let current: string | undefined = 'start';
  let code = 0;
  const timer = setTimeout(() => {
    if (current !== undefined) {
      process.stderr.write(`offload: shutdown took over ${deadlineMs} ms (still at "${current}"); exiting now\n`);
      process.exit(1);
    }
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    process.stderr.write(`offload: stopped, but ${open.join(', ') || 'a handle'} kept the process alive; exiting\n`);
    process.exit(code);
  }, deadlineMs);
  timer.unref(); // it never holds the process: when the loop drains first, the process exits on its own
  for (const [name, step] of steps) {
    current = name;
    try {
      await step();
    } catch (err) {
      code = 1;
      process.stderr.write(
        `offload: shutdown step "${name}" failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
  }
  current = undefined;
  return code;
}
