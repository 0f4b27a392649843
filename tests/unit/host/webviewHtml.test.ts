import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../../src/host/vscodeApi/webviewHtml.js';

test('the webview page runs only its nonce\'d script under a strict CSP', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
  assert.notEqual(nonce, makeNonce());
  const html = webviewHtml({ cspSource: 'https://res.test', nonce, title: 'A <b>title</b>', scriptUri: 'https://res.test/dist/webview/inspect.js', codiconCssUri: 'https://res.test/dist/codicons/codicon.css' });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)![1];
  assert.equal(csp, contentSecurityPolicy('https://res.test', nonce));
  const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
  assert.deepEqual(directives, {
    'default-src': "'none'",
    'script-src': `'nonce-${nonce}'`,
    'style-src': "https://res.test 'unsafe-inline'",
    'font-src': 'https://res.test',
    'img-src': 'https://res.test data:',
  });
  const scripts = html.match(/<script[^>]*>/g)!;
  assert.deepEqual(scripts, [`<script nonce="${nonce}" src="https://res.test/dist/webview/inspect.js">`]);
  assert.ok(!html.includes('<b>'), 'the title is escaped');
  assert.ok(!/unsafe-eval/.test(html));
});
