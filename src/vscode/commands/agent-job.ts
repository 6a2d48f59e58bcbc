import * as vscode from 'vscode';
import { TERMINAL_STATUSES, type JobRecord } from '../../core/jobs';
import { loadAppModule } from '../load-app';
import type { CommandDeps } from './deps';
import { jobLine, OPEN_IN_PANEL, openInPanel } from './show-result';

/**
 * `offload.startAgentJob [{prompt, folder}]`: a Claude Code job (the `start` tool's request) on a
 * workspace folder, followed in a cancellable notification until it ends; cancelling stops the
 * job and kills its process tree. Resolves with the terminal job (or undefined when dismissed).
 */
export async function startAgentJob(
  deps: CommandDeps,
  args?: { prompt?: string; folder?: string },
): Promise<JobRecord | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const folder =
    args?.folder ??
    (folders.length <= 1
      ? folders[0]?.uri.fsPath
      : (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder the agent job may change' }))?.uri.fsPath);
  if (!folder) {
    void vscode.window.showWarningMessage('Offload: open a folder first; agent jobs only touch workspace folders.');
    return undefined;
  }
  const prompt =
    args?.prompt ??
    (await vscode.window.showInputBox({
      title: 'Offload: Start Agent Job',
      prompt: 'What should the agent do?',
      ignoreFocusOut: true,
    }));
  if (!prompt) return undefined;
  const app = await deps.host.getApp();
  const { StartSchema } = await loadAppModule();
  const job = await app.jobs.start(StartSchema.parse({ prompt, allowed_dirs: [folder] }));
  deps.log.info(`agent job ${job.id} started in ${folder}`);
  const done = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Offload agent job', cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => void app.engine.cancel(job.id));
      const onLog = (e: { jobId: string; line: string }) => {
        if (e.jobId === job.id) progress.report({ message: e.line.slice(0, 120) });
      };
      app.engine.on('log', onLog);
      try {
        let current = job;
        while (!TERMINAL_STATUSES.has(current.status)) current = await app.engine.wait(job.id, 5_000);
        return current;
      } finally {
        app.engine.off('log', onLog);
      }
    },
  );
  void vscode.window.showInformationMessage(`Offload: agent job ${jobLine(done)}`, OPEN_IN_PANEL).then((pick) => {
    if (pick) void openInPanel(done);
  });
  return done;
}

/** `offload.cancelJob [{jobId}]`: cancels a queued or running job (of any window when given its id; else picked from this window's). */
export async function cancelJob(deps: CommandDeps, args?: { jobId?: string }): Promise<boolean> {
  const app = await deps.host.getApp();
  let jobId = args?.jobId;
  if (!jobId) {
    const active = await deps.host.activeJobs();
    if (!active.length) {
      void vscode.window.showInformationMessage('Offload: no job is running in this window.');
      return false;
    }
    jobId = (
      await vscode.window.showQuickPick(
        active.map((j) => ({ label: jobLine(j), description: j.id, id: j.id })),
        { title: 'Offload: Cancel Job' },
      )
    )?.id;
  }
  if (!jobId) return false;
  const { cancel, cancelled } = await app.engine.cancelAnywhere(jobId);
  deps.log.info(`cancel ${jobId}: ${cancel}`);
  return cancelled;
}
