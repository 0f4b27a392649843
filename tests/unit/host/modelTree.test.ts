import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildModelTree, type ModelTreeNode } from '../../../src/host/models/buildModelTree.js';
import { readVariants } from '../../../src/host/models/readVariants.js';
import { modelNodeData } from '../../../src/host/models/ModelsTreeSource.js';
import type { ModelEntry } from '../../../src/host/models/ModelEntry.js';
import { writeVariantFixture } from './variantFixture.js';
import { ModelRegistry } from '../../../src/host/models/ModelRegistry.js';
import { readSettings } from '../../../src/host/settings/readSettings.js';
import { createStubHostApi } from './stubHostApi.js';

const labels = (nodes: ModelTreeNode[]): unknown[] =>
  nodes.map((n) => (n.type === 'model' ? [n.model.name, labels(n.children)] : n.type === 'variant' ? [n.variant.id, labels(n.children)] : ['(orphans)', labels(n.children)]));

type VariantNode = Extract<ModelTreeNode, { type: 'variant' }>;

test('variants nest by lineage: base model → pruned → adapter; adapters run on the model right above them', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const data = path.join(root, '.model-lab');
  const phi = path.join(root, 'models', 'phi3.gguf');
  const tiny = path.join(root, 'models', 'tiny.gguf');
  const demo = path.join(root, 'ext-0.1.0', 'media', 'models', 'demo.gguf');
  const pruned = writeVariantFixture(data, 'prune-ffn-1', { kind: 'pruned', parentFile: phi, metrics: { ppl: 12.345678 } });
  writeVariantFixture(data, 'dpo-1', { kind: 'adapter', parentFile: pruned, parentVariant: 'prune-ffn-1' });
  writeVariantFixture(data, 'merge-1', { kind: 'merged', parentFile: path.join(data, 'variants', 'dpo-1', 'adapter.gguf'), parentVariant: 'dpo-1' });
  writeVariantFixture(data, 'sft-1', { kind: 'adapter', parentFile: phi });
  writeVariantFixture(data, 'demo-lora', { kind: 'adapter', parentFile: path.join(root, 'ext-0.0.9', 'media', 'models', 'demo.gguf') });
  writeVariantFixture(data, 'tiny-prune', { kind: 'pruned', parentFile: tiny });
  writeVariantFixture(data, 'lost', { kind: 'pruned', parentFile: '/elsewhere/gone.gguf' });
  writeVariantFixture(data, 'parent-deleted', { kind: 'adapter', parentFile: '/x/model.gguf', parentVariant: 'was-here' });
  fs.mkdirSync(path.join(data, 'variants', 'broken'));
  fs.writeFileSync(path.join(data, 'variants', 'broken', 'manifest.json'), '{ not json');
  fs.mkdirSync(path.join(data, 'variants', 'job-still-writing'));
  const skipped: string[] = [];
  const variants = await readVariants(data, (dir) => skipped.push(path.basename(dir)));
  assert.deepEqual(skipped, ['broken'], 'a bad manifest is reported; an unfinished folder is neither listed nor reported');

  const models: ModelEntry[] = [
    { id: 'demo', name: 'Demo (built-in)', path: demo, source: 'demo' },
    { id: phi, name: 'phi3', path: phi, source: 'user' },
    { id: tiny, name: 'tiny', path: tiny, source: 'workspace' },
  ];
  const tree = buildModelTree(models, variants, new Set([phi]));
  assert.deepEqual(labels(tree), [
    ['Demo (built-in)', [['demo-lora', []]]],
    ['phi3', [['prune-ffn-1', [['dpo-1', [['merge-1', []]]]]], ['sft-1', []]]],
    ['tiny', [['tiny-prune', []]]],
    ['(orphans)', [['lost', []], ['parent-deleted', []]]],
  ]);

  const phiNode = tree[1] as Extract<ModelTreeNode, { type: 'model' }>;
  assert.equal(phiNode.loaded, true);
  const d = modelNodeData(phiNode);
  assert.equal(d.contextValue, 'model.user.loaded');
  assert.match(d.contextValue, /^model\.user/, 'Remove Model menu (viewItem =~ /^model\\.user/) applies');
  assert.equal(d.collapsible, true);
  const prunedNode = phiNode.children[0] as VariantNode;
  const adapterNode = prunedNode.children[0] as VariantNode;
  const mergedNode = adapterNode.children[0] as VariantNode;
  const sftNode = phiNode.children[1] as VariantNode;
  assert.equal(prunedNode.variant.path, pruned);
  assert.equal(modelNodeData(prunedNode).contextValue, 'variant.model');
  assert.equal(modelNodeData(adapterNode).contextValue, 'variant.adapter');
  assert.equal(modelNodeData(mergedNode).contextValue, 'variant.model');
  assert.equal(modelNodeData(tree[0]).contextValue, 'model.demo');
  assert.equal(sftNode.modelId, phi, 'an adapter of the base runs on the base');
  assert.equal(adapterNode.modelId, pruned, 'an adapter of the pruned variant runs on the pruned model, not on the base');
  assert.equal(mergedNode.modelId, pruned);
  assert.equal((tree[3] as { children: VariantNode[] }).children[0].modelId, null);

  const data0 = modelNodeData(prunedNode);
  assert.equal(data0.description, 'pruned · prune-ffn');
  assert.match(String(data0.tooltip), new RegExp(`made from: ${phi.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(sha256 0{12}…\\)`));
  assert.match(String(data0.tooltip), /ppl 12\.35/);
  assert.match(String(modelNodeData(adapterNode).tooltip), /made from: prune-ffn-1 \(sha256 [0-9a-f]{12}…\)/);
});

test('parent matching: exact path wins; an ambiguous file name and a loop of parents do not attach wrongly', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const data = path.join(root, 'data');
  const a = path.join(root, 'a', 'model.gguf');
  const b = path.join(root, 'b', 'model.gguf');
  const solo = path.join(root, 'c', 'solo.gguf');
  writeVariantFixture(data, 'exact', { kind: 'pruned', parentFile: a });
  writeVariantFixture(data, 'ambiguous', { kind: 'pruned', parentFile: '/moved/model.gguf' });
  writeVariantFixture(data, 'by-name', { kind: 'pruned', parentFile: '/moved/solo.gguf' });
  writeVariantFixture(data, 'x', { kind: 'adapter', parentFile: '/v/y', parentVariant: 'y' });
  writeVariantFixture(data, 'y', { kind: 'merged', parentFile: '/v/x', parentVariant: 'x' });
  const variants = await readVariants(data);
  const models: ModelEntry[] = [
    { id: a, name: 'a', path: a, source: 'user' },
    { id: b, name: 'b', path: b, source: 'user' },
    { id: solo, name: 'solo', path: solo, source: 'user' },
  ];
  const tree = buildModelTree(models, variants);
  assert.deepEqual(labels(tree), [
    ['a', [['exact', []]]],
    ['b', []],
    ['solo', [['by-name', []]]],
    ['(orphans)', [['ambiguous', []], ['x', []], ['y', []]]],
  ]);
});

test('no data directory or no variants folder: no variants, no error', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  assert.deepEqual(await readVariants(path.join(root, 'missing')), []);
  assert.deepEqual(labels(buildModelTree([], [])), []);
});

/** Waits for an event, failing (and so running the test's clean-up) when it has not come after 20 s. */
function eventually<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within 20 s`)), 20_000)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test('a variant committed while the view is open (by a job or the CLI) appears without a manual refresh', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const data = path.join(root, '.model-lab');
  const base = path.join(root, 'base.gguf');
  fs.writeFileSync(base, 'GGUF');
  const stub = createStubHostApi({ extensionPath: root, folders: [root] });
  const registry = new ModelRegistry({
    state: stub.api.state,
    extensionPath: root,
    settings: () => ({ ...readSettings(stub.api.workspace), dataDirectory: data }),
    workspaceFolders: () => [root],
    log: () => undefined,
  });
  const keepAlive = setInterval(() => undefined, 1000); // the watch itself does not hold the event loop
  try {
    await registry.refresh();
    assert.deepEqual(registry.listVariants(), []);
    const changed = new Promise<void>((resolve) => {
      const sub = registry.onDidChange(() => {
        if (registry.listVariants().length > 0) { sub.dispose(); resolve(); }
      });
    });
    writeVariantFixture(data, 'prune-ffn-1', { kind: 'pruned', parentFile: base });
    await eventually(changed, 'the view refresh');
    assert.deepEqual(registry.listVariants().map((v) => v.id), ['prune-ffn-1']);
  } finally {
    registry.dispose();
    clearInterval(keepAlive);
  }
});
