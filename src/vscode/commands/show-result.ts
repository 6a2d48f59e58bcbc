import * as vscode from 'vscode';
import type { JobRecord } from '../../core/jobs';
import { formatUsd } from '../../core/money';

/** The button a job's notification offers; it opens the job in the jobs panel. */
export const OPEN_IN_PANEL = 'Open in Jobs Panel';

/** Opens `job` in the jobs panel (its detail: result, checks, diff, spend). */
export async function openInPanel(job: JobRecord): Promise<void> {
  await vscode.commands.executeCommand('offload.openJob', job.id);
}

/** A one-line summary for quick picks and messages: status, kind, model, cost (formatUsd). */
export function jobLine(job: JobRecord): string {
  return `${job.status} · ${job.kind}${job.agent ? ` ${job.agent}` : ''} · ${job.model} · ${formatUsd(job.costMicros)}`;
}
