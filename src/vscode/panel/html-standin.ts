/**
 * STAND-IN for src/shared/panel-html.ts panelHtml() (branch i13-webview, not merged yet): the same
 * signature and a strict CSP with the nonce; remove once the real page is merged.
 */
export function panelHtml(p: { cspSource: string; nonce: string; scriptUri: string; styleUri: string; codiconsUri: string; title?: string }): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${p.cspSource} data:; font-src ${p.cspSource}; style-src ${p.cspSource}; script-src 'nonce-${p.nonce}';">
<link rel="stylesheet" href="${p.codiconsUri}"><link rel="stylesheet" href="${p.styleUri}"><title>${p.title ?? 'Offload Jobs'}</title></head>
<body><section id="queue"></section><section id="detail"></section><section id="spend"></section><section id="breaker"></section>
<script nonce="${p.nonce}" src="${p.scriptUri}"></script></body></html>`;
}
