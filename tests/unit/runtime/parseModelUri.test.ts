import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelUri } from '../../../src/runtime/download/parseModelUri.js';
import { MODEL_CATALOG, catalogModel } from '../../../src/runtime/catalog.js';

test('hf: file addresses resolve to the resolve/<branch> URL without network', () => {
  const p = parseModelUri('hf:microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf');
  assert.deepEqual(p, {
    kind: 'hf-file',
    user: 'microsoft',
    repo: 'Phi-3-mini-4k-instruct-gguf',
    filePath: 'Phi-3-mini-4k-instruct-q4.gguf',
    branch: 'main',
    url: 'https://huggingface.co/microsoft/Phi-3-mini-4k-instruct-gguf/resolve/main/Phi-3-mini-4k-instruct-q4.gguf?download=true',
    fileName: 'Phi-3-mini-4k-instruct-q4.gguf',
  });
});

test('hf: branches, sub-folders, hf:// and endpoint overrides', () => {
  const p = parseModelUri('hf://u/r/dir/sub/m.gguf#v2', 'http://127.0.0.1:9/');
  assert.equal(p.kind, 'hf-file');
  if (p.kind !== 'hf-file') return;
  assert.equal(p.url, 'http://127.0.0.1:9/u/r/resolve/v2/dir/sub/m.gguf?download=true');
  assert.equal(p.fileName, 'm.gguf');
  assert.equal(p.filePath, 'dir/sub/m.gguf');
  assert.equal(parseModelUri('hf:u/r/m.gguf', 'http://mirror.local').kind === 'hf-file' && (parseModelUri('hf:u/r/m.gguf', 'http://mirror.local') as { url: string }).url,
    'http://mirror.local/u/r/resolve/main/m.gguf?download=true');
  // names with spaces or odd characters are encoded, not pasted into the URL
  const q = parseModelUri('hf:u/r/a b.gguf');
  assert.equal(q.kind === 'hf-file' && q.url, 'https://huggingface.co/u/r/resolve/main/a%20b.gguf?download=true');
});

test('hf:user/repo[:quant] needs the hub manifest and says so', () => {
  assert.deepEqual(parseModelUri('hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'), {
    kind: 'hf-repo', user: 'bartowski', repo: 'Llama-3.2-1B-Instruct-GGUF', quant: 'Q4_K_M',
  });
  assert.deepEqual(parseModelUri('hf:a/b'), { kind: 'hf-repo', user: 'a', repo: 'b', quant: undefined });
});

test('http(s) URLs keep their file name', () => {
  assert.deepEqual(parseModelUri('https://example.com/models/x%20y.gguf?token=1'), {
    kind: 'url', url: 'https://example.com/models/x%20y.gguf?token=1', fileName: 'x y.gguf',
  });
});

test('bad addresses are refused with BAD_MODEL_URI and a reason', () => {
  for (const bad of ['', 'hf:', 'hf:user', 'hf:u/r/notes.txt', 'hf:u/r/../x.gguf', 'hf:u/r//x.gguf', 'ftp://x/y.gguf', 'file:///etc/x.gguf', 'just words', 'https://example.com/', 'hf:-u/r/x.gguf']) {
    assert.throws(() => parseModelUri(bad), { name: 'DownloadError', code: 'BAD_MODEL_URI' }, bad);
  }
});

test('catalog: Phi-3 q4 recommended, Phi-3 fp16 and two other families, all resolvable offline', () => {
  assert.equal(MODEL_CATALOG.filter((m) => m.recommended).map((m) => m.id).join(), 'phi-3-mini-4k-instruct-q4');
  assert.equal(catalogModel('phi-3-mini-4k-instruct-q4')!.uri, 'hf:microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf');
  assert.ok(catalogModel('phi-3-mini-4k-instruct-fp16'));
  assert.deepEqual(new Set(MODEL_CATALOG.map((m) => m.family)), new Set(['phi3', 'qwen2', 'llama']));
  assert.equal(new Set(MODEL_CATALOG.map((m) => m.id)).size, MODEL_CATALOG.length);
  for (const m of MODEL_CATALOG) {
    const p = parseModelUri(m.uri);
    assert.equal(p.kind, 'hf-file', m.id);
    assert.equal(p.kind === 'hf-file' && p.fileName, m.fileName);
    assert.ok(m.approxBytes > 100e6);
  }
});
