import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import * as vscode from 'vscode';
import type { UndoRecord } from '../core/undo';
import type { AppHost } from './app-host';
import { loadAppModule } from './load-app';

/** The URI scheme of a job's pre-job and post-job file contents. */
export const JOB_SCHEME = 'offload-job';

/** `offload-job:/<file>?job=<id>&side=pre|post` — `file` relative to the job's folder (changed_files). */
export function jobFileUri(jobId: string, file: string, side: 'pre' | 'post'): vscode.Uri {
  return vscode.Uri.from({
    scheme: JOB_SCHEME,
    path: `/${file}`,
    query: new URLSearchParams({ job: jobId, side }).toString(),
  });
}

/**
 * Read-only content of a job's file before (`pre`, the snapshot tree) and after (`post`,
 * after_tree) the job, read with `git show <tree>:<path>` in the job's repository (its shadow
 * GIT_DIR outside git). A file absent on one side is empty; once apply/discard removed the shadow
 * folder, a one-line note says so.
 */
export class JobContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly host: AppHost) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const jobId = q.get('job') ?? '';
    const app = await this.host.getApp();
    const job = await app.ledger.getJob(jobId);
    if (!job) return `Offload: no job ${jobId} in the ledger.`;
    const rec = (job.result as { workspace?: UndoRecord } | null)?.workspace;
    if (!rec?.snapshot?.tree) return `Offload: job ${jobId} recorded no workspace snapshot.`;
    const s = rec.snapshot;
    if (s.shadowGitDir && !existsSync(s.shadowGitDir))
      return `Offload: this job was applied or discarded; its shadow folder ${s.shadowGitDir} was removed, so its contents are gone.`;
    const cwd = rec.worktree && existsSync(rec.worktree.checkout) ? rec.worktree.checkout : s.dir;
    if (!existsSync(cwd)) return `Offload: the job's folder ${cwd} no longer exists.`;
    const tree = q.get('side') === 'pre' ? s.tree : rec.after_tree;
    const path = posix.normalize(posix.join(s.prefix, uri.path.replace(/^\//, '')));
    const { runGit, gitEnvOf } = await loadAppModule();
    return runGit(cwd, ['show', `${tree}:${path}`], gitEnvOf(s)).catch(() => '');
  }
}

/** Registers the provider for `offload-job:`. */
export function registerJobContent(host: AppHost): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(JOB_SCHEME, new JobContentProvider(host));
}
