import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killTree } from '../../../src/jobs/process-tree';

/** Live (non-zombie) processes whose command line contains `mark`. */
function running(mark: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return !/\) Z /.test(stat) && readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(mark);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The process group of `pid` (field 5 of /proc/<pid>/stat). */
const pgid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);

const until = async (what: string, check: () => boolean) => {
  const end = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('killTree', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip(); // reads /proc to watch the tree; the function itself also runs on macOS
  });

  it("kills a group leader, its group, and a grandchild that moved to a session of its own (as Claude Code's Bash tool does)", async () => {
    // Unique sleep lengths name the grandchildren: one in the leader's group, one in a new session (setsid).
    const a = `sleep ${100_000 + (process.pid % 50_000) * 2}`;
    const b = `sleep ${100_001 + (process.pid % 50_000) * 2}`;
    const leader = spawn('sh', ['-c', `${a} & setsid ${b} & wait`], { detached: true, stdio: 'ignore' });
    const only = (cmd: string) =>
      running(cmd).filter((p) => p !== leader.pid && readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep'));
    await until('both grandchildren run', () => only(`${a} `).length === 1 && only(`${b} `).length === 1);
    assert.notEqual(pgid(only(`${b} `)[0]!), leader.pid, "the setsid one left the leader's group");
    const exited = new Promise((r) => leader.once('exit', r));
    killTree(leader.pid!);
    await exited;
    await until('the tree is gone', () => running(`${a} `).length + running(`${b} `).length === 0);
    assert.deepEqual([...running(`${a} `), ...running(`${b} `)], [], 'no process of the tree is left');
  });

  it("with SIGTERM, a frozen process is continued so it can act on the signal (a check's trap runs)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offload-killtree-'));
    const marker = join(dir, 'trapped');
    const ready = join(dir, 'ready');
    const leader = spawn(
      'sh',
      ['-c', `trap 'echo term > ${marker}; exit 0' TERM; echo > ${ready}; while :; do sleep 0.05; done`],
      { detached: true, stdio: 'ignore' },
    );
    await until('the shell has set its trap', () => existsSync(ready));
    const exited = new Promise<number | null>((r) => leader.once('exit', (code) => r(code)));
    killTree(leader.pid!, 'SIGTERM');
    assert.equal(await exited, 0, 'the trap ran and exited 0, so the shell was not left stopped');
    assert.equal(readFileSync(marker, 'utf8').trim(), 'term');
    rmSync(dir, { recursive: true, force: true });
  });

  it('ignores a process that is already gone', () => {
    const child = spawn('true');
    assert.doesNotThrow(() => killTree(child.pid! + 1_000_000));
  });
});
