import * as vscode from 'vscode';
import type { View } from '../../shared/protocol';
import { JobsPanel } from '../panel/controller';
import type { CommandDeps } from './deps';

const panelDeps = (d: CommandDeps) => ({ host: d.host, log: d.log, extensionUri: d.context.extensionUri });

/** `offload.openPanel [{view, job_id}]`: shows the jobs panel. */
export function openPanel(deps: CommandDeps, args?: { view?: View; job_id?: string }): Promise<void> {
  JobsPanel.createOrShow(panelDeps(deps), args?.view ?? 'queue', args?.job_id);
  return Promise.resolve();
}

/**
 * `offload.openJob <job id>`: the job in the panel. Called by sidebar clicks (the id), and by the
 * UriHandler for the chat link in job results of VS Code's MCP server (chat-link.ts); `{id}` is accepted too. Without an id, the queue.
 */
export function openJob(deps: CommandDeps, jobId?: string | { id?: string }): Promise<void> {
  const id = typeof jobId === 'string' ? jobId : jobId?.id;
  JobsPanel.createOrShow(panelDeps(deps), 'queue', id);
  return Promise.resolve();
}

const idOf = (arg: unknown): string => {
  const id = typeof arg === 'string' ? arg : (arg as { job?: { id?: string } } | undefined)?.job?.id;
  if (!id) throw new Error('job_id: pick a job in the Offload sidebar');
  return id;
};

/** `offload.job.cancel` (tree inline action). */
export async function cancelTreeJob(deps: CommandDeps, arg?: unknown): Promise<string> {
  const r = await (await deps.host.getApp()).engine.cancelAnywhere(idOf(arg));
  return r.cancel;
}

/** `offload.job.apply` (tree inline action). */
export async function applyTreeJob(deps: CommandDeps, arg?: unknown): Promise<void> {
  const r = await (await deps.host.getApp()).jobs.apply(idOf(arg));
  void vscode.window.showInformationMessage(`Offload: applied ${r.files.length} file(s)`);
}

/** `offload.job.discard` (tree inline action). */
export async function discardTreeJob(deps: CommandDeps, arg?: unknown): Promise<void> {
  const r = await (await deps.host.getApp()).jobs.discard(idOf(arg));
  void vscode.window.showInformationMessage(`Offload: discarded ${r.files.length} file(s)`);
}
