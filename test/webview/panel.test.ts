import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ToWebviewSchema, type JobRow, type ToWebview } from '../../src/shared/protocol';
import { openPanelPage, type PanelPage } from './panel-page';

const fixture = (name: string): ToWebview =>
  ToWebviewSchema.parse(JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')));
const row = (i: number, over: Partial<JobRow> = {}): JobRow => ({
  id: `job-${i}`,
  kind: i % 2 ? 'batch' : 'llm',
  status: i % 3 ? 'completed' : 'running',
  agent: null,
  model: 'gpt-4o-mini',
  cost_usd: i / 1000,
  created_at: 1764700000000 + i * 1000,
  updated_at: 1764700000000 + i * 1000,
  duration_ms: 1000,
  title: `task number ${i}`,
  undo: null,
  ...over,
});

/** A month with spend on three days (and one zero day, which draws no bar). */
const spendMessage: ToWebview = ToWebviewSchema.parse({
  type: 'spend',
  spend: {
    month: '2026-12',
    current_month: 4.75,
    total_budget: 25,
    remaining: 20.25,
    percentage_used: 19,
    today: 3,
    daily_budget: null,
    reserved: 0.125,
    reservations_in_flight: 2,
    thresholds: [80, 95],
    by_model: {
      'gpt-4o-mini': { cost_usd: 0.65, calls: 40 },
      'gpt-4o': { cost_usd: 4.1, calls: 12 },
      'deepseek-chat': { cost_usd: 0.0004, calls: 3 },
    },
    by_kind: { llm: { cost_usd: 0.75, jobs: 52 }, 'claude-code': { cost_usd: 4, jobs: 2 } },
    by_day: [
      { day: '2026-12-01', cost_usd: 1.5 },
      { day: '2026-12-02', cost_usd: 0.25 },
      { day: '2026-12-03', cost_usd: 3 },
      { day: '2026-12-04', cost_usd: 0 },
    ],
    savings: { jobs: 7, saved_usd: 9.87, caller_tokens_avoided: 120000 },
    breaker: { state: 'closed', reason: null, detail: null, since: null },
  },
});

describe('jobs panel webview (real Chromium)', function () {
  this.timeout(60000);
  let panel: PanelPage, page: Page;
  const warnings: string[] = [],
    errors: string[] = [],
    outside: string[] = [];

  before(async () => {
    execFileSync('node', ['esbuild.mjs'], { stdio: 'inherit' });
    panel = await openPanelPage(async (p, origin) => {
      p.on('console', (m) => {
        if (m.type() === 'warning') warnings.push(m.text());
        if (m.type() === 'error') errors.push(m.text());
      });
      p.on('pageerror', (e) => errors.push(String(e)));
      p.on('request', (r) => {
        if (!r.url().startsWith(origin)) outside.push(r.url());
      });
      // Every CSP violation the page sees is kept in window.cspViolations (directive and blocked URI).
      await p.addInitScript(`window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`);
    });
    page = panel.page;
  });
  after(async () => {
    await panel?.close();
  });

  const send = (m: unknown): Promise<void> =>
    page.evaluate((msg) => {
      (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(msg, '*');
    }, m);
  const posted = (): Promise<unknown[]> => page.evaluate('window.posted.splice(0)');
  /** Opens a <vscode-single-select> and clicks one of its options, as a user does. */
  const pick = async (select: string, option: string): Promise<void> => {
    await page.click(select);
    await page.locator(select).getByRole('option', { name: option, exact: true }).click();
  };
  const rowsOf = (sel: string): Promise<string[][]> =>
    page.locator(`${sel} tbody tr`).evaluateAll((rs) => rs.map((r) => [...r.children].map((c) => c.textContent ?? '')));

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
    assert.match((await page.textContent('#detail .d2h-wrapper')) ?? '', /src\/a\.ts/);
    for (const a of ['cancel', 'apply', 'discard'] as const) await page.click(`#detail [data-action="${a}"]`);
    assert.deepEqual(await posted(), [
      { type: 'cancel', job_id: 'job-1' },
      { type: 'apply', job_id: 'job-1' },
      { type: 'discard', job_id: 'job-1' },
    ]);
    // Retry is disabled for this job (can.retry false): a click reaches it and posts nothing.
    assert.equal(await page.getAttribute('#detail [data-action="retry"]', 'aria-disabled'), 'true');
    await page.dispatchEvent('#detail [data-action="retry"]', 'click');
    assert.deepEqual(await posted(), []);
  });

  it('drops a malformed message with a warning and leaves the UI as it was', async () => {
    const before = await page.innerHTML('#queue');
    await send({ type: 'jobs', upsert: [{ id: 42 }] });
    await page.waitForTimeout(50);
    assert.ok(
      warnings.some((w) => w.includes('dropped a malformed message')),
      warnings.join('\n'),
    );
    assert.equal(await page.innerHTML('#queue'), before);
    assert.deepEqual(errors, []);
  });

  it('updates a row in place on an upsert, and filters narrow the rows', async () => {
    await send({ type: 'jobs', upsert: [row(1, { title: 'renamed task' })] });
    assert.equal(await page.locator('#queue [role="row"]').count(), 2);
    assert.match((await page.textContent('[data-job-id="job-1"]')) ?? '', /renamed task/);
    await page.fill('#f-q input', 'renamed');
    assert.equal(await page.locator('#queue [role="row"]').count(), 1);
    await page.fill('#f-q input', '');
    await pick('#f-kind', 'llm');
    assert.deepEqual(
      await page.locator('#queue [role="row"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-job-id'))),
      ['job-2'],
    );
    await pick('#f-kind', 'any kind');
    assert.equal(await page.locator('#queue [role="row"]').count(), 2);
  });

  it('scrolls 10,000 jobs with fewer than 200 rows in the DOM', async () => {
    const jobs = Array.from({ length: 10000 }, (_, i) => row(10000 - i));
    await send({ type: 'snapshot', jobs, spend: null, approvals: [] });
    await page.evaluate(
      "const s = document.getElementById('scroller'); s.scrollTop = s.scrollHeight; s.dispatchEvent(new Event('scroll'));",
    );
    await page.waitForSelector('[data-job-id="job-1"]');
    assert.ok((await page.locator('#queue [role="row"]').count()) < 200);
  });

  it("shows Spend: one chart bar per day with spend, per-model and per-kind tables in the status bar's money format", async () => {
    await send(spendMessage);
    await page.click('[data-nav="spend"]');
    assert.equal(await page.evaluate('document.body.dataset.view'), 'spend');
    assert.ok(await page.isVisible('#spend-chart'));
    const bars = page.locator('#spend-chart rect.day-bar');
    assert.equal(await bars.count(), 3);
    assert.deepEqual(await page.locator('#spend-chart rect.day-bar > title').allTextContents(), [
      '2026-12-01: $1.50',
      '2026-12-02: $0.25',
      '2026-12-03: $3.00',
    ]);
    assert.equal(await page.locator('#spend-chart rect').count(), 3, 'no rect besides the bars');
    assert.match((await page.textContent('#spend-chart > title')) ?? '', /Spend per day, 2026-12/);
    assert.deepEqual(await rowsOf('#by-model'), [
      ['gpt-4o', '12', '$4.10'],
      ['gpt-4o-mini', '40', '$0.65'],
      ['deepseek-chat', '3', '$0.0004'],
    ]);
    assert.deepEqual(await rowsOf('#by-kind'), [
      ['claude-code', '2', '$4.00'],
      ['llm', '52', '$0.75'],
    ]);
    assert.equal(await page.textContent('[data-field="reserved"]'), '$0.13 (2 calls)');
    assert.match((await page.textContent('[data-field="savings"]')) ?? '', /^\$9\.87 over 7 jobs/);
    assert.deepEqual(
      await page.locator('#spend .mark').evaluateAll((ms) => ms.map((m) => m.getAttribute('data-threshold'))),
      ['80', '95'],
    );
    await page.click('[data-nav="queue"]');
  });

  it('goes to the breaker on a show message, and the tabs follow the keyboard', async () => {
    await send({ type: 'show', view: 'breaker' });
    assert.equal(await page.evaluate('document.body.dataset.view'), 'breaker');
    assert.ok(await page.isVisible('#breaker [data-action="resetBreaker"]'));
    assert.equal(await page.isVisible('#queue'), false);
    await page.focus('[data-nav="spend"]');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.body.dataset.view'), 'queue');
    assert.ok(await page.isVisible('#queue [role="row"]'));
    assert.equal(await page.isVisible('#spend'), false);
  });

  it('had no CSP violation, no page error and no request outside the origin', async () => {
    assert.deepEqual(await page.evaluate('window.cspViolations'), []);
    assert.deepEqual(errors, []);
    assert.deepEqual(outside, []);
  });
});
