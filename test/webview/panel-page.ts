/**
 * The jobs panel page as VS Code would load it, for the webview tests and bench/panel.ts: a
 * loopback HTTP server (port 0) answering `/` with panelHtml (nonce CSP, cspSource = its origin)
 * and the built assets from dist/ (webview.js, webview.css, codicon.css/ttf), and a headless
 * Debian Chromium through playwright-core. `acquireVsCodeApi` is a stand-in for the VS Code
 * webview host: what the page posts is kept in `window.posted`. Build dist/ first (`node esbuild.mjs`).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { panelHtml } from '../../src/shared/panel-html';

/** A served panel page; `close` ends the browser and the server. */
export interface PanelPage {
  origin: string;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf' };

/** The stand-in host API (a string: tsx's helper names would not exist in the page). */
const HOST_STUB = `window.posted = []; let st;
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m), getState: () => st, setState: (s) => { st = s; } });`;

/** Starts the server and the browser; `beforeLoad` runs (e.g. adds listeners and init scripts) before the first navigation. */
export async function openPanelPage(
  beforeLoad: (page: Page, origin: string) => Promise<void> = async () => {},
): Promise<PanelPage> {
  const dist = join(__dirname, '..', '..', 'dist');
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    if (url === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
      return;
    }
    if (url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end(
        panelHtml({
          cspSource: origin,
          nonce: 'n0nce123',
          scriptUri: `${origin}/webview.js`,
          styleUri: `${origin}/webview.css`,
          codiconsUri: `${origin}/codicon.css`,
        }),
      );
      return;
    }
    try {
      const body = readFileSync(join(dist, url.replace(/[^\w.-]/g, '')));
      res.setHeader('content-type', TYPES[url.slice(url.lastIndexOf('.'))] ?? 'application/octet-stream');
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage();
  await beforeLoad(page, origin);
  await page.addInitScript(HOST_STUB);
  await page.goto(origin);
  return {
    origin,
    browser,
    page,
    close: async () => {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
