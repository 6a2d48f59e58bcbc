/**
 * The .vsix tests' entry (VS Code's `extensionTestsPath` contract: a module exporting `run()`),
 * started by scripts/vscode-test/run-vsix.mjs: runs every bundled `*.test.js` beside it with
 * mocha, in file-name order. The spec reporter's output goes to `<fixture>/results.txt` (the
 * fixture is the workspace's parent); before VS Code shuts the extension host down the entry asks
 * the runner for a workbench screenshot (`screenshot.request`, up to 15 s for `screenshot.done`).
 */
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import { fixtureDir } from '../vscode/helpers';

export function run(): Promise<void> {
  const dir = fixtureDir();
  const results = dir ? join(dir, 'results.txt') : undefined;
  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false, reporter: 'spec' });
  for (const file of readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort())
    mocha.addFile(join(__dirname, file));
  // Mocha's reporters print through Base.consoleLog (captured at load), not console.log.
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const log = base.consoleLog;
  if (results)
    base.consoleLog = (...args: unknown[]) => {
      appendFileSync(results, `${format(...args)}\n`);
      log(...args);
    };
  return new Promise((resolve, reject) => {
    mocha.run(async (failures) => {
      base.consoleLog = log;
      if (dir) {
        writeFileSync(join(dir, 'screenshot.request'), String(Date.now()));
        for (let i = 0; i < 150 && !existsSync(join(dir, 'screenshot.done')); i++)
          await new Promise((r) => setTimeout(r, 100));
      }
      if (failures > 0) reject(new Error(`${failures} .vsix test(s) failed`));
      else resolve();
    });
  });
}
