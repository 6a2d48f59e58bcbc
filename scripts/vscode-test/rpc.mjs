// The runner's side of the test RPC (test/vscode/rpc.ts is the extension host's side): the
// extension-host tests cannot reach the playwright page, so they write requests as JSON files
// `<fixture>/rpc/<id>.req.json` ({ id, op, args }) and this loop answers each with
// `<id>.res.json` ({ ok: true, value } or { ok: false, error }). Files are written to a temp name
// and renamed, so neither side reads half a file.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every frame of the page except the workbench itself: VS Code's webviews (outer iframe.webview, inner active-frame). */
const webviewFrames = (page) => page.frames().filter((f) => f !== page.mainFrame());

/** A file name from a test's label: letters, digits, dash and underscore only (no dots, no slashes). */
export const sanitize = (name) => String(name).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'shot';

/** The ops: each takes the request's args and returns a JSON value (or throws a clear Error). */
function ops(getPage, artifacts) {
  return {
    /** textContent of every element matching selector in any webview frame; [] after timeoutMs. */
    async webviewTexts(selector, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const texts = [];
        for (const frame of webviewFrames(getPage())) {
          texts.push(...await frame.$$eval(selector, (els) => els.map((e) => e.textContent ?? '')).catch(() => []));
        }
        if (texts.length > 0 || Date.now() >= deadline) return texts;
        await sleep(100);
      }
    },
    /** Clicks the first element matching selector in a webview frame; throws when none appears in timeoutMs. */
    async webviewClick(selector, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const frame of webviewFrames(getPage())) {
          const handle = await frame.$(selector).catch(() => null);
          if (handle) { await handle.click({ timeout: 5_000 }); return true; }
        }
        if (Date.now() >= deadline) throw new Error(`webviewClick: no element matches ${JSON.stringify(selector)} in any webview frame after ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    /** Scrolls the first element matching selector in a webview frame into view; throws when none appears in timeoutMs. */
    async webviewScroll(selector, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const frame of webviewFrames(getPage())) {
          const handle = await frame.$(selector).catch(() => null);
          if (handle) { await handle.evaluate((e) => e.scrollIntoView({ block: 'start' })); return true; }
        }
        if (Date.now() >= deadline) throw new Error(`webviewScroll: no element matches ${JSON.stringify(selector)} in any webview frame after ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    /**
     * Screenshot to .test-artifacts/<name>.png; returns the path. The whole page by default; with
     * `{ webview: true }` only the visible webview (the outer iframe of the active webview editor).
     */
    async screenshot(name, options = {}) {
      const path = join(artifacts, `${sanitize(name)}.png`);
      if (options?.webview) {
        const frames = await getPage().$$('iframe.webview');
        let visible;
        for (const f of frames) if (!visible && await f.isVisible()) visible = f;
        if (!visible) throw new Error('screenshot: no visible webview');
        await visible.screenshot({ path });
      } else await getPage().screenshot({ path });
      return path;
    },
  };
}

/**
 * The file protocol both RPCs speak: requests `<dir>/<id>.req.json` ({ id, op, args }) are
 * answered with `<id>.res.json` ({ ok: true, value } or { ok: false, error }), written to a temp
 * name and renamed, by the op of that name in `table`. Polls every 50 ms until `stop()`.
 * `label` names the RPC in its error lines.
 */
export function serveFileRpc(dir, table, label) {
  mkdirSync(dir, { recursive: true });
  const seen = new Set();
  let running = true;
  const answer = (id, body) => {
    const tmp = join(dir, `${id}.res.tmp`);
    writeFileSync(tmp, JSON.stringify(body));
    renameSync(tmp, join(dir, `${id}.res.json`));
  };
  const handle = async (file) => {
    let req;
    try { req = JSON.parse(readFileSync(join(dir, file), 'utf8')); } catch (err) { console.error(`vscode-test ${label}: unreadable ${file}: ${err.message}`); return; }
    const id = String(req.id).replace(/[^A-Za-z0-9_-]/g, '_');
    const op = Object.hasOwn(table, req.op) ? table[req.op] : undefined;
    try {
      if (!op) throw new Error(`unknown op ${JSON.stringify(req.op)}; known: ${Object.keys(table).join(', ')}`);
      answer(id, { ok: true, value: await op(...(Array.isArray(req.args) ? req.args : [])) });
    } catch (err) {
      answer(id, { ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
  const loop = (async () => {
    while (running) {
      for (const file of existsSync(dir) ? readdirSync(dir) : []) {
        if (!file.endsWith('.req.json') || seen.has(file)) continue;
        seen.add(file);
        void handle(file);
      }
      await sleep(50);
    }
  })();
  return { stop: async () => { running = false; await loop; } };
}

/**
 * Answers requests in `<fixtureRoot>/rpc/` until `stop()` is called. `getPage` returns the
 * current playwright page; screenshots go to `artifacts`.
 */
export function serveRpc(fixtureRoot, getPage, artifacts) {
  return serveFileRpc(join(fixtureRoot, 'rpc'), ops(getPage, artifacts), 'rpc');
}
