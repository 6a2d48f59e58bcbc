// The runner's side of the workbench RPC for the .vsix tests (test/vscode-vsix/page.ts is the
// extension host's side). Same file protocol as rpc.mjs, in its own folder: requests
// `<fixture>/workbench-rpc/<id>.req.json` ({ id, op, args }) are answered with `<id>.res.json`
// ({ ok: true, value } or { ok: false, error }), written to a temp name and renamed. rpc.mjs reads
// webview frames; these ops read the workbench page itself (the activity bar, the sidebar's tree,
// the status bar), which an installed extension cannot see through any VS Code API.
import { join } from 'node:path';
import { serveFileRpc } from './rpc.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a non-empty array or `timeoutMs` passes (then the last, maybe empty, result). */
async function until(probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => []);
    if (value.length > 0 || Date.now() >= deadline) return value;
    await sleep(100);
  }
}

/** The ops: each takes the request's args and returns a JSON value (or throws a clear Error). */
function ops(getPage) {
  const frames = () => getPage().frames().filter((f) => f !== getPage().mainFrame());
  return {
    /** textContent of every element matching `selector` in the workbench page (not its webviews), once at least one matches; [] after timeoutMs. */
    workbenchTexts: (selector, timeoutMs = 10_000) => until(() => getPage().mainFrame().$$eval(selector, (els) => els.map((e) => e.textContent ?? '')), timeoutMs),
    /** The `attr` attribute of every element matching `selector` in the workbench page, once at least one matches; [] after timeoutMs. */
    workbenchAttrs: (selector, attr, timeoutMs = 10_000) => until(() => getPage().mainFrame().$$eval(selector, (els, a) => els.map((e) => e.getAttribute(a) ?? ''), attr), timeoutMs),
    /** Clicks the first element matching `selector` in the workbench page; throws when none appears in timeoutMs. */
    async workbenchClick(selector, timeoutMs = 10_000) {
      const found = await until(async () => ((await getPage().mainFrame().$(selector)) ? [true] : []), timeoutMs);
      if (!found.length) throw new Error(`workbenchClick: no element matches ${JSON.stringify(selector)} after ${timeoutMs} ms`);
      await getPage().mainFrame().click(selector, { timeout: 5_000 });
      return true;
    },
    /** The `attr` attribute of every element matching `selector` in any webview frame, once at least one matches; [] after timeoutMs. */
    webviewAttrs: (selector, attr, timeoutMs = 10_000) => until(async () => {
      const values = [];
      for (const frame of frames()) values.push(...await frame.$$eval(selector, (els, a) => els.map((e) => e.getAttribute(a) ?? ''), attr).catch(() => []));
      return values;
    }, timeoutMs),
  };
}

/** Answers requests in `<fixtureRoot>/workbench-rpc/` until `stop()` is called; `getPage` returns the current playwright page. */
export function serveWorkbenchRpc(fixtureRoot, getPage) {
  return serveFileRpc(join(fixtureRoot, 'workbench-rpc'), ops(getPage), 'workbench rpc');
}
