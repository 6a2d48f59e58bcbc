import * as vscode from 'vscode';
import type { CommandDeps } from './deps';
import { jobLine, OPEN_IN_PANEL, openInPanel } from './show-result';

/** The mini-worker presets: what the cheap model is told, and whether its answer replaces the text. */
const PRESETS = [
  {
    id: 'format',
    label: 'Format',
    task: 'Reformat this code consistently (indentation, spacing, line breaks) without changing its behaviour. Answer with the code only.',
    replaces: true,
  },
  {
    id: 'summarize',
    label: 'Summarize',
    task: 'Summarize what this code or text does in a few short bullet points.',
    replaces: false,
  },
  {
    id: 'rename',
    label: 'Rename…',
    task: 'Rename the identifier as asked, everywhere in this text, changing nothing else. Answer with the full updated text only.',
    replaces: true,
  },
  { id: 'custom', label: 'Custom…', task: '', replaces: false },
] as const;

type PresetId = (typeof PRESETS)[number]['id'];

/**
 * `offload.runJobOnSelection [{preset, instruction}]`: a `mini-worker` run_job on the selection
 * (or the whole file when nothing is selected). Format and rename offer to replace the text with
 * the answer; the others open it beside the editor. The spend goes through the ledger like any job;
 * a job over `offload.approvalThresholdUsd` is asked about in a modal first (declined: rejected).
 */
export async function runJobOnSelection(
  deps: CommandDeps,
  args?: { preset?: PresetId; instruction?: string },
): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage('Offload: open a file and select some text first.');
    return;
  }
  const preset = args?.preset
    ? PRESETS.find((p) => p.id === args.preset)
    : await vscode.window.showQuickPick(
        PRESETS.map((p) => ({ ...p, label: p.label })),
        { title: 'Offload: Run Job on Selection' },
      );
  if (!preset) return;
  let task: string = preset.task;
  if (preset.id === 'rename' || preset.id === 'custom') {
    const instruction =
      args?.instruction ??
      (await vscode.window.showInputBox({
        title: `Offload: ${preset.label}`,
        prompt:
          preset.id === 'rename'
            ? 'Rename what to what? e.g. "fooBar to loadUser"'
            : 'What should the worker do with the text?',
      }));
    if (!instruction) return;
    task = preset.id === 'rename' ? `${task}\nRename: ${instruction}` : instruction;
  }
  const range = editor.selection.isEmpty ? new vscode.Range(0, 0, editor.document.lineCount, 0) : editor.selection;
  const text = editor.document.getText(range);
  const app = await deps.host.getApp();
  const job = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Offload: ${preset.label.replace('…', '')} with mini-worker…`,
    },
    () => app.jobs.runJob({ agent: 'mini-worker', task: `${task}\n\n---\n${text}` }, deps.host.approve),
  );
  deps.log.info(`job ${job.id}: ${jobLine(job)}`);
  const output = (job.result as { output?: string } | null)?.output;
  if (job.status !== 'completed' || output === undefined) {
    void vscode.window.showErrorMessage(`Offload: the job ended ${job.status}${job.error ? `: ${job.error}` : ''}`);
    return;
  }
  if (preset.replaces) {
    const pick = await vscode.window.showInformationMessage(
      `Offload: done (${jobLine(job)}).`,
      'Replace Text',
      OPEN_IN_PANEL,
    );
    if (pick === 'Replace Text') await editor.edit((edit) => edit.replace(range, output));
    else if (pick === OPEN_IN_PANEL) await openInPanel(job);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: output });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}
