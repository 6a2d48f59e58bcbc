import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** One row of the process table: a process and its parent. */
interface ProcRow {
  pid: number;
  ppid: number;
}

/** The process table: from /proc on Linux, else `ps -A -o pid=,ppid=` (macOS, BSD). Processes that end while it is read are skipped. */
function processTable(): ProcRow[] {
  if (process.platform === 'linux') {
    const rows: ProcRow[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        // Fields after the command (which may hold spaces and parentheses): state, ppid, …
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        rows.push({ pid: Number(name), ppid });
      } catch {
        /* ended meanwhile */
      }
    }
    return rows;
  }
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((r) => r.length === 2 && r.every(Number.isSafeInteger))
    .map(([pid, ppid]) => ({ pid: pid!, ppid: ppid! }));
}

/** `root` and every process descending from it, by parent links. */
function descendants(root: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of processTable()) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found = new Set<number>([root]);
  for (const pid of found) for (const c of children.get(pid) ?? []) found.add(c);
  return found;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    /* already gone, or never a group */
  }
}

/**
 * Sends `sig` to `pid`, the process group it leads, and every process descending from it: the one
 * way Offload ends a child (a Claude Code run, a check command). Default SIGKILL.
 *
 * A group kill alone is not enough: Claude Code 2.1.x runs each Bash tool command in a new
 * session (its own process group), which a kill of the CLI's group does not reach, and which
 * would be reparented to init once the CLI dies (seen in test/e2e/cross-process-cancel.test.ts).
 * So the tree is frozen first (SIGSTOP, re-read until no new process appears, at most 5 rounds:
 * a stopped process cannot fork), then every process and group in it gets `sig`; for a signal
 * other than SIGKILL the frozen processes are continued (SIGCONT) so they can act on it.
 *
 * Windows has no signals or groups: `taskkill /pid N /T /F` ends the whole tree whatever `sig`
 * is (a graceful stop cannot be asked of a console process from outside). Never throws for
 * processes already gone.
 */
export function killTree(pid: number, sig: NodeJS.Signals = 'SIGKILL'): void {
  if (process.platform === 'win32') {
    try {
      execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    } catch {
      /* already gone */
    }
    return;
  }
  const stopped = new Set<number>();
  for (let round = 0; round < 5; round++) {
    const tree = descendants(pid);
    const fresh = [...tree].filter((p) => !stopped.has(p));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      signal(p, 'SIGSTOP');
      stopped.add(p);
    }
  }
  signal(-pid, sig);
  for (const p of stopped) {
    signal(-p, sig);
    signal(p, sig);
  }
  if (sig !== 'SIGKILL') for (const p of stopped) signal(p, 'SIGCONT');
}
