/**
 * Mocha root hook plugin (loaded by .mocharc.json `require`): no temporary folder or worktree of
 * Offload's may be left when the test run ends. The run gets a temp folder of its own (TMPDIR is
 * set before any test file loads, and child processes inherit it), so folders of other runs on the
 * same machine never count; after the last test, the Offload folders still in it fail the run,
 * named, and the run's folder is removed either way.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Names Offload's own code (src/) gives its temporary folders under os.tmpdir(). */
const OFFLOAD_TEMP = /^offload-(index-|shadow-git|demo-)/;

const runTmp = mkdtempSync(join(tmpdir(), 'offload-test-run-'));
process.env.TMPDIR = runTmp;

/** Offload's folders left in `dir`: prefixed folders, and the job worktrees inside offload-worktrees/. */
export function offloadLeftovers(dir: string): string[] {
  const names = readdirSync(dir);
  const worktrees = names.includes('offload-worktrees')
    ? readdirSync(join(dir, 'offload-worktrees')).map((n) => `offload-worktrees/${n}`)
    : [];
  return [...names.filter((n) => OFFLOAD_TEMP.test(n)), ...worktrees].sort();
}

export const mochaHooks = {
  afterAll(): void {
    const left = offloadLeftovers(runTmp);
    rmSync(runTmp, { recursive: true, force: true });
    if (left.length)
      throw new Error(
        `the test run left Offload's temporary folders or worktrees behind (in ${runTmp}): ${left.join(', ')}`,
      );
  },
};
