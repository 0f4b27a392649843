/**
 * One-shot GUM selection for one layer: greedily keep the neuron with the highest importance discounted by its
 * redundancy with the neurons already kept, value_i = base_i · (1 − max_{j kept} |cos_ij|). Returns each neuron's
 * value at the moment it was picked: the values fall as the selection goes on (a neuron's discount only grows), so
 * keeping the top k of them is the greedy selection of k, and layers compare on the scale of `base`.
 * gram: [F, F] row-major, gram[i·F + j] = Σ_t h_ti·h_tj (cosines from it with a 1e-6 floor on the norms).
 */
export function greedyUniqueScores(base: ArrayLike<number>, gram: Float32Array, F: number): Float32Array {
  const norm = new Float64Array(F);
  for (let i = 0; i < F; i++) norm[i] = Math.sqrt(Math.max(0, gram[i * F + i]));
  const maxCos = new Float64Array(F);
  const taken = new Uint8Array(F);
  const out = new Float32Array(F);
  for (let step = 0; step < F; step++) {
    let best = -1, bestValue = -Infinity;
    for (let i = 0; i < F; i++) {
      if (taken[i]) continue;
      const v = base[i] * (1 - maxCos[i]);
      if (v > bestValue) { bestValue = v; best = i; }
    }
    taken[best] = 1;
    out[best] = bestValue;
    const row = best * F;
    for (let i = 0; i < F; i++) {
      if (taken[i]) continue;
      const c = Math.abs(gram[row + i]) / (norm[best] * norm[i] + 1e-6);
      if (c > maxCos[i]) maxCos[i] = Math.min(1, c);
    }
  }
  return out;
}
