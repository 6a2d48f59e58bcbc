/**
 * Jobs left waiting for their off-peak start by a process that died (run_job / queue_batch with
 * `not_after` or `when: "cheapest"`): they hold no reservation, so a live process may take them up.
 * This process sweeps the ledger when it opens and then every `everyMs`: the ledger hands each such
 * job to exactly one process (HostLedger.adoptWaiting, a conditional update on the job's pid under
 * the file lock), which re-queues it in its engine with the same start time and deadline; a job whose
 * deadline passed is ended `failed` naming why.
 */
import type { Timers } from '../core/timers';
import type { HostLedger } from '../ledger/sqlite-ledger';
import type { JobEngine } from './engine';

/** How often a live process looks for waiting jobs of dead processes, ms. */
const ADOPT_SWEEP_MS = 60_000;

/** What the sweep needs: the ledger, the engine that runs adopted jobs, the liveness probe, its timers and a log. */
export interface AdoptionDeps {
  ledger: Pick<HostLedger, 'adoptWaiting' | 'getJob'>;
  engine: Pick<JobEngine, 'adopt' | 'clockNow'>;
  isAlive: (pid: number) => boolean;
  timers: Timers;
  log: (line: string) => void;
  everyMs?: number;
}

/** The running sweep: `first` settles when the sweep at start has run; `stop` ends the later ones. */
export interface AdoptionSweep {
  first: Promise<number>;
  stop(): void;
}

/** One sweep: adopts what the ledger hands over and queues it here. Resolves with how many jobs were taken up. */
async function sweepOnce(deps: AdoptionDeps): Promise<number> {
  const ids = await deps.ledger.adoptWaiting(deps.isAlive, deps.engine.clockNow());
  let n = 0;
  for (const id of ids) {
    const job = await deps.ledger.getJob(id);
    if (job && deps.engine.adopt(job)) n++;
  }
  if (n) deps.log(`scheduled jobs: took up ${n} job(s) waiting for their start time, left by a process that stopped`);
  return n;
}

/**
 * Sweeps now and then every `everyMs` (default ADOPT_SWEEP_MS) on `timers`, the next sweep timed
 * after the last one ends. A failed sweep is logged and tried again at the next. Never throws.
 */
export function startAdoptionSweep(deps: AdoptionDeps): AdoptionSweep {
  let stopped = false;
  let handle: unknown;
  const run = (): Promise<number> =>
    sweepOnce(deps)
      .catch((err: unknown) => {
        deps.log(`scheduled jobs: adoption sweep failed: ${String(err)}`);
        return 0;
      })
      .finally(() => {
        if (stopped) return;
        handle = deps.timers.setTimeout(() => void run(), deps.everyMs ?? ADOPT_SWEEP_MS);
        (handle as { unref?: () => void } | null)?.unref?.();
      });
  return {
    first: run(),
    stop() {
      stopped = true;
      deps.timers.clearTimeout(handle);
    },
  };
}
