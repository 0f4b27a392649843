// watchVariants on folders that do not exist yet, with its safety-net poll turned off: the first variant committed
// into a fresh data folder, or into a data folder without variants/, reaches the caller through the watch alone, as
// does one committed after variants/ was deleted and made again. (Node 24, the editor's host, neither throws nor
// reports anything for a recursive watch of a missing folder: a watch armed there heard nothing, ever.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { createVariant, listVariants, watchVariants } from '../../../src/workspace/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-watch-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const NO_POLL = 3_600_000;

/** Resolves with the listing of the first call whose variants include `id()` (failing after 20 s). */
function watchFor(data: string, id: () => string | undefined): { seen: Promise<string[]>; dispose(): void } {
  let resolve!: (ids: string[]) => void;
  const seen = new Promise<string[]>((r) => (resolve = r));
  const w = watchVariants(data, () => {
    void listVariants(data).then((l) => {
      const ids = l.variants.map((v) => v.id);
      if (id() !== undefined && ids.includes(id()!)) resolve(ids);
    });
  }, { debounceMs: 50, pollMs: NO_POLL });
  const keepAlive = setInterval(() => undefined, 1000); // the watch itself does not hold the event loop
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the committed variant was not reported within 20 s')), 20_000)));
  return {
    seen: Promise.race([seen, late]).finally(() => clearTimeout(timer)),
    dispose: () => { w.dispose(); clearInterval(keepAlive); clearTimeout(timer); },
  };
}

async function commitVariant(data: string, base: string, pauseMs: number): Promise<string> {
  const v = await createVariant(data, { kind: 'pruned', method: 'prune-ffn', parent: { file: base } });
  await new Promise((r) => setTimeout(r, pauseMs)); // a job writing its model
  await writeTestModel(v.file, { arch: 'llama', nLayer: 1, seed: 2 });
  return (await v.commit()).id;
}

const base = path.join(root, 'base.gguf');
const ready = writeTestModel(base, { arch: 'llama', nLayer: 1 });

for (const [what, pauseMs] of [['at once', 0], ['after a while', 400]] as const) {
  test(`a fresh data folder (its parent missing too): the first variant, committed ${what}, is reported`, async () => {
    await ready;
    const data = path.join(root, `fresh-${pauseMs}`, 'workspace', '.model-lab');
    let id: string | undefined;
    const w = watchFor(data, () => id);
    try {
      await new Promise((r) => setTimeout(r, 100));
      id = await commitVariant(data, base, pauseMs);
      assert.deepEqual(await w.seen, [id]);
    } finally {
      w.dispose();
    }
  });
}

test('a data folder without variants/ (a job made runs/ first): the first variant is reported', async () => {
  await ready;
  const data = path.join(root, 'runs-only', '.model-lab');
  fs.mkdirSync(path.join(data, 'runs', 'r1'), { recursive: true });
  let id: string | undefined;
  const w = watchFor(data, () => id);
  try {
    fs.writeFileSync(path.join(data, 'runs', 'r1', 'job.json'), '{}');
    id = await commitVariant(data, base, 200);
    assert.deepEqual(await w.seen, [id]);
  } finally {
    w.dispose();
  }
});

test('variants/ deleted under the watch and made again: the next variant is reported', async () => {
  await ready;
  const data = path.join(root, 'deleted', '.model-lab');
  const first = await commitVariant(data, base, 0);
  let id: string | undefined;
  const w = watchFor(data, () => id);
  try {
    await new Promise((r) => setTimeout(r, 100));
    fs.rmSync(path.join(data, 'variants'), { recursive: true });
    await new Promise((r) => setTimeout(r, 200));
    id = await commitVariant(data, base, 200);
    assert.notEqual(id, first);
    assert.deepEqual(await w.seen, [id]);
  } finally {
    w.dispose();
  }
});
