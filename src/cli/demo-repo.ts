import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
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
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Offload Demo', '-c', 'user.email=demo@offload.invalid', ...args], {
      cwd: repo,
      stdio: 'ignore',
    });
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

/**
 * Removes a demo repo's temporary folder (`<tmp>/offload-demo-XXXX`, with its ledger when the demo
 * made one) and the folders of the worktrees made from it (WORKER_ISOLATION=worktree). Never throws.
 */
export function removeDemoRepo(repo: string): void {
  try {
    const list = execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: repo, encoding: 'utf8' });
    for (const line of list
      .split('\n')
      .filter((l) => l.startsWith('worktree '))
      .slice(1))
      rmSync(line.slice('worktree '.length), { recursive: true, force: true });
  } catch {
    // no repo left (or no git): only the folder remains to remove
  }
  rmSync(dirname(repo), { recursive: true, force: true });
}
