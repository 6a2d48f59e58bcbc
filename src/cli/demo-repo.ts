import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEMO_PROJECT } from './demo-project';

/**
 * Creates a temporary git repo holding the demo project (one commit, a failing test) and returns
 * its absolute real path: `<tmp>/offload-demo-XXXX/project`. The parent folder is the demo's
 * sandbox root and holds its temporary ledger.
 */
export function createDemoRepo(): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'offload-demo-')));
  const repo = join(root, 'project');
  for (const [file, content] of Object.entries(DEMO_PROJECT)) {
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    writeFileSync(join(repo, file), content);
  }
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Offload Demo', '-c', 'user.email=demo@offload.invalid', ...args], { cwd: repo, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'demo project with a failing test');
  return repo;
}

/** True when `npm test` passes in `repo`. */
export function testsPass(repo: string): boolean {
  try {
    execFileSync('npm', ['test', '--silent'], { cwd: repo, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
