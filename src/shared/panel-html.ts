/** What panelHtml needs: the webview's CSP source (`webview.cspSource`), a fresh nonce and the asset URIs. */
export interface PanelHtmlArgs {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconsUri: string;
  title?: string;
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * The jobs panel's HTML document: a strict CSP (nothing remote; scripts only with the nonce),
 * the codicon stylesheet (id `vscode-codicon-stylesheet`, where @vscode-elements looks for it),
 * dist/webview.css and dist/webview.js. Pure: no vscode import, so tests build the same page.
 * The bundled @vscode-elements components need no allowance: they style their shadow roots with
 * adoptedStyleSheets (constructed sheets are not subject to style-src) and set styles through CSSOM
 * properties; zod runs jitless in the page, so no 'unsafe-eval' (test/webview checks that no
 * `securitypolicyviolation` fires).
 */
export function panelHtml(a: PanelHtmlArgs): string {
  const csp = `default-src 'none'; img-src ${a.cspSource} data:; style-src ${a.cspSource}; font-src ${a.cspSource}; script-src 'nonce-${a.nonce}'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${attr(a.title ?? 'Offload Jobs')}</title>
<link id="vscode-codicon-stylesheet" rel="stylesheet" href="${attr(a.codiconsUri)}">
<link rel="stylesheet" href="${attr(a.styleUri)}">
</head>
<body>
<div id="root"></div>
<script nonce="${attr(a.nonce)}" src="${attr(a.scriptUri)}"></script>
</body>
</html>
`;
}
