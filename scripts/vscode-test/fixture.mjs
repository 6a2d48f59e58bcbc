// A throwaway VS Code profile for the extension-host tests: user data (with settings that keep
// the tests off the user's real ledger), extensions dir and a small workspace, all in one temp dir.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Creates the temp dirs; returns their paths and the results file the test entry appends to.
 * The folder is removed when the runner exits 0; after a failure it is kept for a look (its path
 * is printed), and OFFLOAD_KEEP_VSCODE_FIXTURE=1 keeps it always.
 */
export function createFixture() {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'offload-vscode-test-')));
  const userData = join(root, 'user-data');
  const extensions = join(root, 'extensions');
  const workspace = join(root, 'workspace');
  for (const dir of [join(userData, 'User'), extensions, workspace]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# Scratch workspace for Offload extension tests\n');
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
    'offload.ledgerPath': join(root, 'ledger.sqlite'),
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
  }, null, 2));
  const fixture = { root, userData, extensions, workspace, results: join(root, 'results.txt') };
  // Marks the folder as a runner fixture; test/vscode/index.ts then writes results.txt beside it.
  writeFileSync(join(root, 'fixture.json'), JSON.stringify(fixture, null, 2));
  process.on('exit', (code) => {
    if (code !== 0 || process.env.OFFLOAD_KEEP_VSCODE_FIXTURE === '1') console.error(`vscode-test: kept the fixture ${root}`);
    else rmSync(root, { recursive: true, force: true });
  });
  return fixture;
}

/** The environment for VS Code: this one without provider keys, so tests see only what they set. */
export function testEnv(results) {
  const env = { ...process.env, OFFLOAD_VSCODE_TEST_RESULTS: results };
  for (const name of ['OPENAI_API_KEY', 'ONEAPI_API_KEY', 'FALLBACK_API_KEY', 'OPENAI_BASE_URL', 'ONEAPI_BASE_URL']) delete env[name];
  return env;
}
