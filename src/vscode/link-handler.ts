import * as vscode from 'vscode';
import { jobIdOfLink } from './chat-link';

/**
 * Offload's UriHandler: `<uriScheme>://offload.offload/job?id=<job id>` (the chat link,
 * chat-link.ts) opens that job in the jobs panel; any other URI of the extension is logged and
 * ignored. Desktop VS Code hands such links to it from the OS (and from chat replies, after its
 * "open this link?" confirmation); the browser builds route them through their URL callback.
 */
export function linkHandler(log: { warn(line: string): void }): vscode.UriHandler {
  return {
    handleUri: (uri) => {
      const id = jobIdOfLink(uri.path, uri.query);
      if (id) void vscode.commands.executeCommand('offload.openJob', id);
      else log.warn(`ignored a link to Offload that names no job: ${uri.path}`);
    },
  };
}
