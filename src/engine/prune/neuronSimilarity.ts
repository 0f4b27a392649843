/** Neurons per layer in the similarity summary: enough to see clusters, small enough to draw and to store. */
export const SIMILARITY_NEURONS = 32;

/** The cosine similarity of a layer's top-scored neurons' activations: what the Prune panel's heat map draws. */
export interface NeuronSimilarity {
  /** the top-scored neurons, best first ([n]) */
  neurons: Int32Array;
  /** cos(h_i, h_j) over the sampled calibration tokens, [n, n] row-major in the order of `neurons` */
  cosine: Float32Array;
}

/**
 * Cosine similarity between the activation patterns (h = silu(gate)·up over calibration tokens) of the `n`
 * top-scored neurons of a layer: near ±1 means two neurons fire together on the same tokens — one of them is largely
 * redundant. `samples` is h for `rows` tokens, [rows, F] (F ≥ the layer's scores). Ties in score: the lower index first. A neuron that never
 * fires has cosine 0 with every other (and 1 with itself).
 */
export function topNeuronSimilarity(samples: Float32Array, rows: number, F: number, scores: Float32Array, n = SIMILARITY_NEURONS): NeuronSimilarity {
  const k = Math.min(n, scores.length);
  const neurons = Int32Array.from(Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, k));
  // cols [k, rows]: each chosen neuron's activations, contiguous
  const cols = new Float64Array(k * rows);
  for (let t = 0; t < rows; t++) for (let a = 0; a < k; a++) cols[a * rows + t] = samples[t * F + neurons[a]];
  const norm = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    let s = 0;
    for (let t = 0; t < rows; t++) s += cols[a * rows + t] ** 2;
    norm[a] = Math.sqrt(s);
  }
  const cosine = new Float32Array(k * k);
  for (let a = 0; a < k; a++) {
    cosine[a * k + a] = 1;
    for (let b = 0; b < a; b++) {
      let dot = 0;
      for (let t = 0; t < rows; t++) dot += cols[a * rows + t] * cols[b * rows + t];
      const c = norm[a] > 0 && norm[b] > 0 ? dot / (norm[a] * norm[b]) : 0;
      cosine[a * k + b] = cosine[b * k + a] = c;
    }
  }
  return { neurons, cosine };
}
