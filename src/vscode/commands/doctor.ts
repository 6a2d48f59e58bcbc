import { execFile } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { workerEnv } from '../mcp-client-config';
import { API_KEY_SLOTS } from '../secrets';
import { changedSettings } from '../settings';
import type { CommandDeps } from './deps';

/**
 * `offload.runDoctor`: the extension's own checks (app started, MCP server listening, where each
 * key comes from) followed by the bundled worker's `doctor` run with this window's settings and
 * key, all written to the Offload log. Resolves with the report text (secrets redacted in the log).
 */
export async function runDoctor(deps: CommandDeps): Promise<string> {
  const lines: string[] = [];
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Offload: running Doctor…' },
    async () => {
      try {
        const app = await deps.host.getApp();
        const server = await deps.host.mcpServer();
        lines.push(`ok   extension: app ready, MCP server ${server.url} (${server.sessionCount()} session(s))`);
        const env: Record<string, string> = {
          ...(process.env as Record<string, string>),
          ...workerEnv(app.config, changedSettings()),
          ELECTRON_RUN_AS_NODE: '1',
        };
        delete env.OPENAI_API_KEY;
        for (const slot of API_KEY_SLOTS) {
          const key = await deps.keys.get(slot.id);
          lines.push(
            `${key.value ? 'ok  ' : slot.optional ? '--  ' : 'FAIL'} ${slot.label}: ${key.source}${!key.value && slot.optional ? ' (optional)' : ''}`,
          );
          if (key.value) env[slot.env[slot.env.length - 1]!] = key.value;
        }
        const worker = join(deps.context.extensionPath, 'dist', 'worker.js');
        lines.push(
          await new Promise<string>((resolve) => {
            execFile(process.execPath, [worker, 'doctor'], { env, timeout: 60_000 }, (err, stdout, stderr) =>
              resolve(`${stdout}${stderr}`.trim() || (err?.message ?? '')),
            );
          }),
        );
      } catch (err) {
        lines.push(`FAIL extension: ${err instanceof Error ? err.message : String(err)}`);
      }
      return lines.join('\n');
    },
  );
  for (const line of report.split('\n')) deps.log.info(`doctor: ${line}`);
  deps.log.show();
  const failed = /^FAIL/m.test(report);
  void vscode.window.showInformationMessage(
    failed ? 'Offload Doctor found problems; see the Offload log.' : 'Offload Doctor: everything is OK.',
  );
  return report;
}
