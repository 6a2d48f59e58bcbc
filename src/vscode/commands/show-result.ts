import * as vscode from 'vscode';
import type { JobRecord } from '../../core/jobs';
import { shapeResult } from '../../core/results';

/** Opens a job's compact result (the same shape MCP tools return) as JSON beside the editor. */
export async function showJobResult(job: JobRecord): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'json', content: `${JSON.stringify(shapeResult(job), null, 2)}\n` });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

/** A one-line summary for quick picks and messages: status, kind, cost. */
export function jobLine(job: JobRecord): string {
  return `${job.status} · ${job.kind}${job.agent ? ` ${job.agent}` : ''} · ${job.model} · $${(job.costMicros / 1e6).toFixed(4)}`;
}
