import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ToWebviewSchema, type JobRow, type ToWebview } from '../../src/shared/protocol';
import { panelHtml } from '../../src/shared/panel-html';

const dist = join(process.cwd(), 'dist');
const fixture = (name: string): ToWebview => ToWebviewSchema.parse(JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')));
const row = (i: number, over: Partial<JobRow> = {}): JobRow => ({ id: `job-${i}`, kind: i % 2 ? 'batch' : 'llm', status: i % 3 ? 'completed' : 'running', agent: null, model: 'gpt-4o-mini',
  cost_usd: i / 1000, created_at: 1764700000000 + i * 1000, updated_at: 1764700000000 + i * 1000, duration_ms: 1000, title: `task number ${i}`, undo: null, ...over });

describe('jobs panel webview (real Chromium)', function () {
  this.timeout(60000);
  let server: Server, origin: string, browser: Browser, page: Page;
  const warnings: string[] = [], errors: string[] = [], outside: string[] = [];
  const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf' };

  before(async () => {
    execFileSync('node', ['esbuild.mjs'], { stdio: 'inherit' });
    server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0] ?? '/';
      if (url === '/favicon.ico') { res.statusCode = 204; res.end(); return; }
      if (url === '/') {
        res.setHeader('content-type', 'text/html');
        res.end(panelHtml({ cspSource: origin, nonce: 'n0nce123', scriptUri: `${origin}/webview.js`, styleUri: `${origin}/webview.css`, codiconsUri: `${origin}/codicon.css` }));
        return;
      }
      try {
        const body = readFileSync(join(dist, url.replace(/[^\w.-]/g, '')));
        res.setHeader('content-type', types[url.slice(url.lastIndexOf('.'))] ?? 'application/octet-stream');
        res.end(body);
      } catch { res.statusCode = 404; res.end(); }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => { if (!r.url().startsWith(origin)) outside.push(r.url()); });
    // Stand-in for the VS Code webview host: acquireVsCodeApi records what the page posts.
    // (a string: tsx's helper names would not exist in the page)
    await page.addInitScript(`window.posted = []; let st;
      window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m), getState: () => st, setState: (s) => { st = s; } });`);
    await page.goto(origin);
  });
  after(async () => { await browser?.close(); server?.close(); });

  const send = (m: unknown): Promise<void> => page.evaluate((msg) => { (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(msg, '*'); }, m);
  const posted = (): Promise<unknown[]> => page.evaluate('window.posted.splice(0)');

  it('posts ready and renders the queue from a snapshot', async () => {
    assert.deepEqual(await posted(), [{ type: 'ready' }]);
    await send(ToWebviewSchema.parse({ type: 'snapshot', jobs: [row(1), row(2)], spend: null, approvals: [] }));
    await page.waitForSelector('body[data-ready="1"]');
    assert.equal(await page.locator('#queue [role="row"]').count(), 2);
  });

  it('opens a detail, renders its diff, and posts Cancel, Apply and Discard', async () => {
    await page.click('[data-job-id="job-1"]');
    assert.deepEqual(await posted(), [{ type: 'openJob', job_id: 'job-1' }]);
    await send(fixture('detail.json'));
    assert.equal(await page.textContent('#detail [data-field="status"]'), 'completed');
    assert.match(await page.textContent('#detail .d2h-wrapper') ?? '', /src\/a\.ts/);
    for (const a of ['cancel', 'apply', 'discard'] as const) await page.click(`#detail [data-action="${a}"]`);
    assert.deepEqual(await posted(), [{ type: 'cancel', job_id: 'job-1' }, { type: 'apply', job_id: 'job-1' }, { type: 'discard', job_id: 'job-1' }]);
  });

  it('drops a malformed message with a warning and leaves the UI as it was', async () => {
    const before = await page.innerHTML('#queue');
    await send({ type: 'jobs', upsert: [{ id: 42 }] });
    await page.waitForTimeout(50);
    assert.ok(warnings.some((w) => w.includes('dropped a malformed message')), warnings.join('\n'));
    assert.equal(await page.innerHTML('#queue'), before);
    assert.deepEqual(errors, []);
  });

  it('updates a row in place on an upsert, and filters narrow the rows', async () => {
    await send({ type: 'jobs', upsert: [row(1, { title: 'renamed task' })] });
    assert.equal(await page.locator('#queue [role="row"]').count(), 2);
    assert.match(await page.textContent('[data-job-id="job-1"]') ?? '', /renamed task/);
    await page.fill('#f-q', 'renamed');
    assert.equal(await page.locator('#queue [role="row"]').count(), 1);
    await page.fill('#f-q', '');
    await page.selectOption('#f-kind', 'llm');
    assert.deepEqual(await page.locator('#queue [role="row"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-job-id'))), ['job-2']);
    await page.selectOption('#f-kind', '');
  });

  it('scrolls 10,000 jobs with fewer than 200 rows in the DOM', async () => {
    const jobs = Array.from({ length: 10000 }, (_, i) => row(10000 - i));
    await send({ type: 'snapshot', jobs, spend: null, approvals: [] });
    await page.evaluate("const s = document.getElementById('scroller'); s.scrollTop = s.scrollHeight; s.dispatchEvent(new Event('scroll'));");
    await page.waitForSelector('[data-job-id="job-1"]');
    assert.ok(await page.locator('#queue [role="row"]').count() < 200);
  });

  it('had no CSP violation, no page error and no request outside the origin', () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(outside, []);
  });
});
