/**
 * Hard 0/1 FFN neuron masks from scores: keep the top `keep` fraction of neurons, per layer ('local') or with one
 * threshold over all layers pooled ('global'). scores: one [F] array per layer. Ties break by lower index.
 */
export function hardMaskFromScores(scores: Float32Array[], keep: number, mode: 'local' | 'global' = 'local'): Float32Array[] {
  if (!(keep >= 0 && keep <= 1)) throw new RangeError(`keep must be a fraction in [0, 1], got ${keep}`);
  const pick = (items: { l: number; i: number; s: number }[], n: number, masks: Float32Array[]): void => {
    items.sort((a, b) => b.s - a.s || a.l - b.l || a.i - b.i);
    for (let k = 0; k < n; k++) masks[items[k].l][items[k].i] = 1;
  };
  const masks = scores.map((s) => new Float32Array(s.length));
  if (mode === 'local') {
    scores.forEach((s, l) => pick(Array.from(s, (v, i) => ({ l, i, s: v })), Math.round(keep * s.length), masks));
  } else {
    const all = scores.flatMap((s, l) => Array.from(s, (v, i) => ({ l, i, s: v })));
    pick(all, Math.round(keep * all.length), masks);
  }
  return masks;
}
