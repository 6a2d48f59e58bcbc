import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { jobLine, showJobResult } from './show-result';

/**
 * `offload.showJobs`: the recent jobs of the shared ledger (every window and CLI worker) in a
 * quick pick — the stand-in for the jobs panel. Picking one opens its result; a running job of
 * any window or CLI worker can be cancelled from there.
 */
export async function showJobs(deps: CommandDeps): Promise<void> {
  const app = await deps.host.getApp();
  const jobs = await app.ledger.listJobs(30);
  const picked = await vscode.window.showQuickPick(
    jobs.map((job) => ({ label: jobLine(job), description: new Date(job.createdAt).toLocaleString(), detail: job.id, job })),
    { title: `Offload: recent jobs (${jobs.length})`, placeHolder: jobs.length ? 'Pick a job to see its result' : 'No jobs yet', matchOnDetail: true },
  );
  if (!picked) return;
  if (picked.job.status === 'running' || picked.job.status === 'queued') {
    const action = await vscode.window.showQuickPick(['Show Status', 'Cancel Job'], { title: jobLine(picked.job) });
    if (action === 'Cancel Job') { deps.log.info(`cancel ${picked.job.id}: ${(await app.engine.cancelAnywhere(picked.job.id)).cancel}`); return; }
    if (!action) return;
  }
  await showJobResult(picked.job);
}
