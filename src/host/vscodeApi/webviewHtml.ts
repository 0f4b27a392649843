import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  title: string;
  scriptUri: string;
  /** codicon.css (vscode-elements' <vscode-icon> finds it by the id `vscode-codicon-stylesheet`) */
  codiconCssUri: string;
}

export const makeNonce = (): string => randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');

/** Escapes text for element content and double-quoted attributes (every attribute here is double-quoted). */
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The CSP every Model Lab webview runs under: scripts only with the nonce, resources only from the extension. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

/** The page of a panel: one bundled script (it brings its own CSS), codicons, nothing inline but the nonce'd script tag. */
export function webviewHtml(o: WebviewHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(o.codiconCssUri)}" id="vscode-codicon-stylesheet">
<title>${esc(o.title)}</title>
</head>
<body>
<div id="app" data-testid="app"></div>
<script nonce="${esc(o.nonce)}" src="${esc(o.scriptUri)}"></script>
</body>
</html>`;
}
