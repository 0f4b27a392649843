// The neuron scores of a prune or scoring run, kept in its run folder for the Prune panel's histograms and heat maps
// (and for anyone's scripts): one JSON file whose Float32 arrays are base64 of their little-endian bytes — exact,
// and about a third of the size of the same numbers as JSON text (Phi-3-mini: 32 × 8192 scores ≈ 1.4 MB).
import { promises as fs } from 'node:fs';
import { PruneError } from './PruneError.js';
import type { NeuronSimilarity } from './neuronSimilarity.js';
import type { NeuronScores, PruneMethod } from './scoreTypes.js';

export const NEURON_SCORES_FILE = 'neuron-scores.json';
const FORMAT = 'model-lab.neuron-scores';
const VERSION = 1;

export interface NeuronScoresRecord {
  /** the scored model's file */
  model: string;
  method: PruneMethod;
  /** [F] per layer: higher = more worth keeping */
  scores: Float32Array[];
  /** the top-scored neurons' activation cosine per layer, over `rows` calibration tokens (methods that run the text) */
  similarity?: { rows: number; layers: NeuronSimilarity[] };
}

const f32ToBase64 = (a: Float32Array): string => {
  const b = Buffer.alloc(a.length * 4);
  a.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b.toString('base64');
};
function base64ToF32(s: unknown, what: string): Float32Array {
  if (typeof s !== 'string') throw new PruneError('PRUNE_BAD_SCORES', `${what} is not base64 text`);
  const b = Buffer.from(s, 'base64');
  if (b.length % 4 !== 0) throw new PruneError('PRUNE_BAD_SCORES', `${what} is not a whole number of float32 values`);
  return Float32Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(i * 4));
}

/** The record of `scores` from `method` on `model`, as written by writeNeuronScores. */
export function neuronScoresRecord(model: string, method: PruneMethod, scores: NeuronScores): NeuronScoresRecord {
  return { model, method, scores: scores.scores, similarity: scores.similarity };
}

/** Writes the record to `file` (a temporary file renamed into place: a reader never sees half of it). */
export async function writeNeuronScores(file: string, r: NeuronScoresRecord): Promise<void> {
  const json = {
    format: FORMAT, version: VERSION, model: r.model, method: r.method,
    layers: r.scores.map((s) => ({ width: s.length, scores: f32ToBase64(s) })),
    similarity: r.similarity ? {
      rows: r.similarity.rows,
      layers: r.similarity.layers.map((x) => ({ neurons: Array.from(x.neurons), cosine: f32ToBase64(x.cosine) })),
    } : null,
  };
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(json) + '\n');
  await fs.rename(tmp, file);
}

/** Reads a file writeNeuronScores wrote; anything else is a PRUNE_BAD_SCORES error naming the file. */
export async function readNeuronScores(file: string): Promise<NeuronScoresRecord> {
  let j: any;
  try {
    j = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new PruneError('PRUNE_BAD_SCORES', `${file}: cannot be read as neuron scores (${(e as Error).message.split('\n')[0]})`);
  }
  if (j?.format !== FORMAT || j.version !== VERSION || !Array.isArray(j.layers)) {
    throw new PruneError('PRUNE_BAD_SCORES', `${file} is not a neuron-scores file of version ${VERSION}`);
  }
  const scores = j.layers.map((l: any, i: number) => {
    const s = base64ToF32(l?.scores, `${file}: layer ${i}'s scores`);
    if (s.length !== l.width) throw new PruneError('PRUNE_BAD_SCORES', `${file}: layer ${i} has ${s.length} scores, not its width ${l.width}`);
    return s;
  });
  let similarity: NeuronScoresRecord['similarity'];
  if (j.similarity) {
    similarity = {
      rows: Number(j.similarity.rows),
      layers: (j.similarity.layers as any[]).map((x, i) => {
        const neurons = Int32Array.from(x.neurons as number[]);
        const cosine = base64ToF32(x.cosine, `${file}: layer ${i}'s similarity`);
        if (cosine.length !== neurons.length * neurons.length) throw new PruneError('PRUNE_BAD_SCORES', `${file}: layer ${i}'s similarity is not ${neurons.length}×${neurons.length}`);
        return { neurons, cosine };
      }),
    };
  }
  return { model: String(j.model), method: j.method, scores, similarity };
}
