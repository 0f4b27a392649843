// Inline suggestions (opt-in) and their feedback: off by default; on, a short raw completion of the code before the
// cursor; accepting it stores reward +1, "Thumbs Down on the Last Suggestion" stores −1, both with provenance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { Disposable, EditorSelection } from '../../../src/host/vscodeApi/HostApi.js';
import { PreferenceStore, type FeedbackEvent } from '../../../src/workspace/preferences/index.js';
import { createStubHostApi } from '../host/stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from '../host/stubRuntime.js';

const at: EditorSelection = { text: '', languageId: 'python', filePath: '/w/calc.py', range: { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } }, before: 'def add(a, b):\n    ', after: '' };

async function start(enabled: boolean | undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-inline-'));
  const model = path.join(dir, 'tiny.gguf');
  fs.writeFileSync(model, 'GGUF');
  const stub = createStubHostApi({ extensionPath: dir, folders: [dir], settings: enabled === undefined ? {} : { 'label.inlineSuggestions': { globalValue: enabled } } });
  const rt = new StubRuntime();
  rt.pieces = ['return a + b', '\n\n', 'def sub(a, b):'];
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => rt, validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  await stub.commands.get('modelLab.addModelFile')!(model);
  const provider = stub.inlineProviders[0];
  const feedback = async () => ((await (await PreferenceStore.openInDataDir(path.join(dir, '.model-lab'))).read()).records as FeedbackEvent[]);
  return { stub, rt, provider, feedback, cleanup: () => (subs.forEach((s) => s.dispose()), fs.rmSync(dir, { recursive: true, force: true })) };
}

test('inline suggestions are off by default', async () => {
  const t = await start(undefined);
  try {
    assert.equal(await t.provider.provide(at, new AbortController().signal), null);
    assert.equal(t.rt.generations.length, 0, 'nothing ran');
  } finally {
    t.cleanup();
  }
});

test('accepted suggestion → reward +1, thumbs down → −1 on the last one shown', async () => {
  const t = await start(true);
  try {
    const s = await t.provider.provide(at, new AbortController().signal);
    assert.equal(s?.text, 'return a + b', 'cut at the first blank line');
    assert.equal(t.rt.generations[0].mode, 'complete');
    assert.equal(t.rt.generations[0].prompt, at.before);
    await t.stub.commands.get(t.provider.acceptCommand)!(s!.id);
    const s2 = await t.provider.provide(at, new AbortController().signal);
    assert.ok(s2);
    await t.stub.commands.get('modelLab.thumbsDownSuggestion')!();
    const records = await t.feedback();
    assert.deepEqual(records.map((r) => [r.kind, r.reward, r.response.text, r.origin]), [['feedback', 1, 'return a + b', 'inline'], ['feedback', -1, 'return a + b', 'inline']]);
    assert.deepEqual(records[0].prompt, { text: at.before });
    assert.deepEqual(records[0].context, { file: '/w/calc.py', language: 'python', range: at.range });
    assert.equal(records[0].response.model, 'tiny');
    t.stub.shown.length = 0;
    await t.stub.commands.get('modelLab.thumbsDownSuggestion')!();
    assert.match(t.stub.shown[0].text, /no inline suggestion was shown yet/);
  } finally {
    t.cleanup();
  }
});
