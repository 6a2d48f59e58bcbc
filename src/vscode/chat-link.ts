/**
 * The chat link: a link to the job in the jobs panel, carried by job results of VS Code's own MCP
 * server (AppHost.mcpServer, the one VS Code agent mode calls) as `panel_link`. Pure (no `vscode`
 * import) so the unit tests can measure it.
 *
 * Why a URI-handler link and not a `command:` link, measured in VS Code 1.103.2 (source of
 * mcpLanguageModelToolContribution.ts and chatMarkdownRenderer): the chat shows a tool's output as
 * plain text, sends a result that has structuredContent to the model as that JSON only, and drops
 * `command:` links from the untrusted markdown a model writes. A `<uriScheme>://offload.offload/…`
 * link in the model's reply is an ordinary external link: VS Code asks once to open it and hands
 * it to the extension's UriHandler (extension.ts), which opens the job.
 */

/** The extension's id: the authority of its URIs (`package.json` publisher.name). */
export const EXTENSION_AUTHORITY = 'offload.offload';

/** The URI path that opens a job; its query is `id=<job id>`. */
export const JOB_LINK_PATH = '/job';

/**
 * `<scheme>://offload.offload/job?id=<job id>`, `scheme` being vscode.env.uriScheme (`vscode`,
 * `vscode-insiders`, `code-oss`…): 68 bytes for a UUID job id with `vscode`.
 */
export function chatJobLink(scheme: string, jobId: string): string {
  return `${scheme}://${EXTENSION_AUTHORITY}${JOB_LINK_PATH}?id=${encodeURIComponent(jobId)}`;
}

/** The job id a chat link names, or undefined for any other URI of the extension. `path`/`query` as vscode.Uri gives them. */
export function jobIdOfLink(path: string, query: string): string | undefined {
  if (path !== JOB_LINK_PATH) return undefined;
  const id = new URLSearchParams(query).get('id');
  return id && /^[\w-]{1,100}$/.test(id) ? id : undefined;
}
