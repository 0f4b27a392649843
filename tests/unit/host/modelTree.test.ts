import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildModelTree, type ModelTreeNode } from '../../../src/host/models/buildModelTree.js';
import { readVariants } from '../../../src/host/models/readVariants.js';
import { modelNodeData } from '../../../src/host/models/ModelsTreeSource.js';
import type { ModelEntry } from '../../../src/host/models/ModelEntry.js';

function variant(dataDir: string, id: string, manifest: unknown, file?: string) {
  const dir = path.join(dataDir, 'variants', id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  if (file) fs.writeFileSync(path.join(dir, file), 'GGUF');
}

const labels = (nodes: ModelTreeNode[]): unknown[] =>
  nodes.map((n) => (n.type === 'model' ? [n.model.name, labels(n.children)] : n.type === 'variant' ? [n.variant.id, labels(n.children)] : ['(orphans)', labels(n.children)]));

test('variants nest under the model their manifest names, variants of variants nest under the variant', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const data = path.join(root, '.model-lab');
  const phi = path.join(root, 'models', 'phi3.gguf');
  const other = path.join(root, 'models', 'tiny.gguf');
  variant(data, 'pruned-30', { parent: phi, method: 'prune-ffn', created: '2026-11-26T06:00:00Z' }, 'model.gguf');
  variant(data, 'lora-a', { parent: 'pruned-30', method: 'dpo' }, 'adapter.gguf');
  variant(data, 'demo-lora', { parent: 'demo', kind: 'adapter' });
  variant(data, 'by-object', { parent: { path: other } }, 'model.gguf');
  variant(data, 'lost', { parent: '/elsewhere/gone.gguf' }, 'model.gguf');
  variant(data, 'broken', '{ not json');
  variant(data, 'no-parent', { method: 'x' });
  const skipped: string[] = [];
  const variants = await readVariants(data, (dir) => skipped.push(path.basename(dir)));
  assert.deepEqual(skipped.sort(), ['broken', 'no-parent']);

  const models: ModelEntry[] = [
    { id: 'demo', name: 'Demo (built-in)', path: '/ext/media/models/demo.gguf', source: 'demo' },
    { id: phi, name: 'phi3', path: phi, source: 'user' },
    { id: other, name: 'tiny', path: other, source: 'workspace' },
  ];
  const tree = buildModelTree(models, variants, new Set([phi]));
  assert.deepEqual(labels(tree), [
    ['Demo (built-in)', [['demo-lora', []]]],
    ['phi3', [['pruned-30', [['lora-a', []]]]]],
    ['tiny', [['by-object', []]]],
    ['(orphans)', [['lost', []]]],
  ]);

  const phiNode = tree[1] as Extract<ModelTreeNode, { type: 'model' }>;
  assert.equal(phiNode.loaded, true);
  const d = modelNodeData(phiNode);
  assert.equal(d.contextValue, 'model.user.loaded');
  assert.match(d.contextValue, /^model\.user/, 'Remove Model menu (viewItem =~ /^model\\.user/) applies');
  assert.equal(d.collapsible, true);
  const pruned = phiNode.children[0] as Extract<ModelTreeNode, { type: 'variant' }>;
  assert.equal(pruned.variant.kind, 'model');
  assert.equal(pruned.variant.path, path.join(data, 'variants', 'pruned-30', 'model.gguf'));
  assert.equal(modelNodeData(pruned).contextValue, 'variant.model');
  const lora = pruned.children[0] as Extract<ModelTreeNode, { type: 'variant' }>;
  assert.equal(lora.variant.kind, 'adapter');
  assert.equal(modelNodeData(lora).contextValue, 'variant.adapter');
  assert.equal(modelNodeData(tree[0]).contextValue, 'model.demo');
});

test('parent matching: relative paths, unique file names; ambiguous file names and cycles do not attach wrongly', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const data = path.join(root, 'data');
  const a = path.join(root, 'a', 'model.gguf');
  const b = path.join(root, 'b', 'model.gguf');
  const solo = path.join(root, 'c', 'solo.gguf');
  variant(data, 'rel', { parent: path.relative(path.join(data, 'variants', 'rel'), a) });
  variant(data, 'ambiguous', { parent: 'model.gguf' });
  variant(data, 'by-name', { parent: 'solo.gguf' });
  variant(data, 'x', { parent: 'y' });
  variant(data, 'y', { parent: 'x' });
  variant(data, 'escape', { parent: solo, file: '../../../etc/passwd' });
  const variants = await readVariants(data);
  assert.equal(variants.find((v) => v.id === 'escape')!.path, null, 'a manifest cannot point outside its folder');
  const models: ModelEntry[] = [
    { id: a, name: 'a', path: a, source: 'user' },
    { id: b, name: 'b', path: b, source: 'user' },
    { id: solo, name: 'solo', path: solo, source: 'user' },
  ];
  const tree = buildModelTree(models, variants);
  assert.deepEqual(labels(tree), [
    ['a', [['rel', []]]],
    ['b', []],
    ['solo', [['by-name', []], ['escape', []]]],
    ['(orphans)', [['ambiguous', []], ['x', []], ['y', []]]],
  ]);
});

test('no data directory or no variants folder: no variants, no error', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  assert.deepEqual(await readVariants(path.join(root, 'missing')), []);
  assert.deepEqual(labels(buildModelTree([], [])), []);
});
