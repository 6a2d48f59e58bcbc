/**
 * Phase 2 of the panel suite: after the window reload (test/vscode/index.ts), the jobs panel that
 * 8-panel.test.ts left open is revived by its serializer, in the new extension host, and shows
 * the job again: its queue row and, from the page's saved state, its detail.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, fixtureDir, offload, PANEL_JOB_FILE, webviewTexts } from './helpers';

describe('the jobs panel after a window reload (phase 2)', () => {
  it('is revived open and shows the job from before the reload', async () => {
    const dir = fixtureDir();
    assert.ok(dir && existsSync(join(dir, PANEL_JOB_FILE)), `phase 1 left no ${PANEL_JOB_FILE}`);
    const { jobId } = JSON.parse(readFileSync(join(dir, PANEL_JOB_FILE), 'utf8')) as { jobId: string };
    const api = await offload();
    await eventually('the panel to be revived', () => api.panelOpen());
    const row = await eventually(
      "the job's queue row",
      async () => (await webviewTexts(`#queue [role=row][data-job-id="${jobId}"]`, 2_000))[0],
    );
    assert.match(row, /claude-code/);
    assert.match(row, /Panel job: set the answer in notes\.txt to 42\./);
    const status = await eventually(
      "the job's detail",
      async () => (await webviewTexts(`body[data-open-job="${jobId}"] #detail [data-field=status]`, 2_000))[0],
    );
    assert.match(status, /discarded/);
  });
});
