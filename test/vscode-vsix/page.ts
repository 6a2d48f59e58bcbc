/**
 * The .vsix tests' view of their run (scripts/vscode-test/run-vsix.mjs): the fixture's
 * `vsix.json`, and the RPC to the runner's playwright page — rpc.mjs for webview frames
 * (`<fixture>/rpc/`), workbench-rpc.mjs for the workbench page itself (`<fixture>/workbench-rpc/`).
 * Both take `<dir>/<id>.req.json` ({ id, op, args }) and answer `<id>.res.json`.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, fixtureDir } from '../vscode/helpers';

/** What run-vsix.mjs wrote to `<fixture>/vsix.json`: absolute paths, the stand-in gateway's URL and key. */
export interface VsixRun {
  vsix: string;
  extensionsDir: string;
  devHost: string;
  repo: string;
  gatewayUrl: string;
  gatewayKey: string;
  ledger: string;
}

/** The run's vsix.json; throws when not started by run-vsix.mjs. */
export function vsixRun(): VsixRun {
  const dir = fixtureDir();
  if (!dir || !existsSync(join(dir, 'vsix.json')))
    throw new Error('no vsix.json: run through scripts/vscode-test/run-vsix.mjs');
  return JSON.parse(readFileSync(join(dir, 'vsix.json'), 'utf8')) as VsixRun;
}

let seq = 0;

/** One request in `<fixture>/<folder>/`; throws with the runner's message, or when no answer comes within `waitMs`. */
async function rpc<T>(folder: 'rpc' | 'workbench-rpc', op: string, args: unknown[], waitMs: number): Promise<T> {
  const dir = fixtureDir();
  if (!dir) throw new Error(`${op}: needs the runner's page; run through scripts/vscode-test/run-vsix.mjs`);
  const id = `vsix-${process.pid}-${Date.now()}-${++seq}`;
  const req = join(dir, folder, `${id}.req.json`);
  writeFileSync(`${req}.tmp`, JSON.stringify({ id, op, args }));
  renameSync(`${req}.tmp`, req);
  const res = join(dir, folder, `${id}.res.json`);
  const answer = await eventually(
    `the runner to answer ${op}`,
    () => existsSync(res) && readFileSync(res, 'utf8'),
    waitMs,
  );
  rmSync(res, { force: true });
  const body = JSON.parse(answer) as { ok: true; value: T } | { ok: false; error: string };
  if (!body.ok) throw new Error(`${op}: ${body.error}`);
  return body.value;
}

/** textContent of every element matching `selector` (CSS) in the workbench page, once one matches; [] after `timeoutMs`. */
export const workbenchTexts = (selector: string, timeoutMs = 10_000) =>
  rpc<string[]>('workbench-rpc', 'workbenchTexts', [selector, timeoutMs], timeoutMs + 15_000);

/** The `attr` attribute of every element matching `selector` in the workbench page, once one matches; [] after `timeoutMs`. */

/** Clicks the first element matching `selector` in the workbench page; throws when none appears within `timeoutMs`. */
export const workbenchClick = async (selector: string, timeoutMs = 10_000) => {
  await rpc('workbench-rpc', 'workbenchClick', [selector, timeoutMs], timeoutMs + 15_000);
};

/** textContent of every element matching `selector` in any webview frame (rpc.mjs), once one matches; [] after `timeoutMs`. */
export const webviewTexts = (selector: string, timeoutMs = 10_000) =>
  rpc<string[]>('rpc', 'webviewTexts', [selector, timeoutMs], timeoutMs + 15_000);

/** The `attr` attribute of every element matching `selector` in any webview frame, once one matches; [] after `timeoutMs`. */
export const webviewAttrs = (selector: string, attr: string, timeoutMs = 10_000) =>
  rpc<string[]>('workbench-rpc', 'webviewAttrs', [selector, attr, timeoutMs], timeoutMs + 15_000);

/** Screenshot of the whole page to .test-artifacts/<name>.png (rpc.mjs sanitizes the name); resolves with the file's path. */
export const screenshot = (name: string) => rpc<string>('rpc', 'screenshot', [name], 30_000);
