// A writer process for the store's crash and concurrency tests: appends COUNT comparisons to FILE, one at a time,
// and prints `ack <seq>` only after each append has resolved (is on disk). Usage: storeWriterChild.ts FILE WRITER COUNT
import { PreferenceStore } from '../../../src/workspace/preferences/index.js';

const [file, writer, count] = process.argv.slice(2);
const store = await PreferenceStore.open(file);
for (let seq = 0; seq < Number(count); seq++) {
  await store.addComparison({
    id: `${writer}-${seq}`,
    prompt: { text: `prompt ${writer} ${seq}` },
    // Long enough that a line spans several disk sectors, with non-ASCII text.
    candidates: [
      { id: 'a', text: `answer a ${seq} — ${'x'.repeat(600)}`, model: 'demo', seed: seq },
      { id: 'b', text: `answer b ${seq} — ${'y'.repeat(600)}`, model: 'demo', seed: seq + 1 },
    ],
    ranking: [['a'], ['b']],
  });
  process.stdout.write(`ack ${seq}\n`);
}
