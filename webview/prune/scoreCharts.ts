/**
 * The Prune panel's score charts: one histogram per layer of its neuron scores, with the cut line at the chosen
 * sparsity (neurons left of it are removed; uniform: each layer's own cut, global: one score for all layers), and a
 * heat map of the activation cosine between a layer's top-scored neurons. SVG in the theme's chart colours.
 */
import { pruneCutScore, pruneShareBelow, type PruneAllocationName, type PruneLayerScores, type PruneScoresView } from '../../src/protocol/webviewPrune.js';
import { h, svg } from '../shared/dom.js';

const HW = 150, HH = 58, P = 4, TEXT = 12;

function fmt(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(1) : v.toPrecision(3);
}

/** One layer's histogram: bars over [min, max], the removed side dimmed, the cut as a line. */
function histogram(l: PruneLayerScores, cut: number, selected: boolean): SVGElement {
  const max = Math.max(1, ...l.bins);
  const span = l.max - l.min;
  const bw = (HW - 2 * P) / l.bins.length;
  const x = (v: number): number => P + (span > 0 ? ((v - l.min) / span) * (HW - 2 * P) : 0);
  const cx = Math.min(HW - P, Math.max(P, x(cut)));
  const removed = Math.round(pruneShareBelow(l, cut) * 100);
  return svg('svg', {
    class: selected ? 'histogram selected' : 'histogram', 'data-testid': 'histogram', 'data-layer': l.layer, 'data-removed': removed,
    width: HW, height: HH + TEXT, viewBox: `0 0 ${HW} ${HH + TEXT}`, role: 'img',
    'aria-label': `layer ${l.layer}: ${l.width} neuron scores from ${fmt(l.min)} to ${fmt(l.max)}; about ${removed} % below the cut`,
  },
  svg('title', {}, `layer ${l.layer}: ${l.width} neurons, scores ${fmt(l.min)} … ${fmt(l.max)}; cut at ${fmt(cut)} (about ${removed} % removed)`),
  ...l.bins.map((c, i) => svg('rect', {
    class: P + (i + 1) * bw <= cx ? 'bar removed' : 'bar', x: P + i * bw, y: HH - P - (c / max) * (HH - 2 * P), width: Math.max(0.5, bw - 0.5), height: (c / max) * (HH - 2 * P),
  })),
  svg('line', { class: 'cut', 'data-testid': 'cut', x1: cx, x2: cx, y1: P, y2: HH - P }),
  svg('text', { x: P, y: HH + TEXT - 2 }, `layer ${l.layer} · ${removed} % cut`),
  );
}

/** The histograms of every layer; a click on one picks it for the heat map. */
export function renderHistograms(target: HTMLElement, s: PruneScoresView, sparsity: number, allocation: PruneAllocationName, selectedLayer: number, onPick: (layer: number) => void): void {
  target.replaceChildren(...s.layers.map((l) => {
    const chart = histogram(l, pruneCutScore(s, l.layer, sparsity, allocation), l.layer === selectedLayer && s.similarity !== null);
    if (s.similarity) chart.addEventListener('click', () => onPick(l.layer));
    return chart;
  }));
}

const CELL = 9;

/** The cosine of a layer's top neurons' activations: blue for positive, orange for negative, opacity |cos|. */
export function renderHeatmap(target: HTMLElement, s: PruneScoresView, layer: number): void {
  const m = s.similarity?.layers.find((x) => x.layer === layer);
  if (!s.similarity || !m) {
    target.replaceChildren();
    return;
  }
  const n = m.neurons.length, L = 16, W = L + n * CELL;
  const cells: SVGElement[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const c = m.cosine[a * n + b]!;
      cells.push(svg('rect', { class: c >= 0 ? 'pos' : 'neg', x: L + b * CELL, y: L + a * CELL, width: CELL - 0.5, height: CELL - 0.5, 'fill-opacity': Math.min(1, Math.abs(c)).toFixed(3) },
        svg('title', {}, `neuron ${m.neurons[a]} × neuron ${m.neurons[b]}: cos ${c.toFixed(3)}`)));
    }
  }
  target.replaceChildren(
    svg('svg', { 'data-testid': 'heatmap-svg', 'data-layer': layer, 'data-neurons': n, width: W, height: W, viewBox: `0 0 ${W} ${W}`, role: 'img', 'aria-label': `activation cosine of layer ${layer}'s top ${n} neurons` },
      svg('text', { x: L, y: L - 6 }, `top ${n} neurons of layer ${layer}, best first →`),
      ...cells,
    ),
    h('p', { class: 'muted' }, `Cosine similarity of the neurons' activations (silu(gate)·up) over the first ${s.similarity.rows} calibration tokens: `
      + 'blue where two fire together, orange where one fires as the other is negative; the stronger the colour, the closer to ±1. '
      + 'A bright off-diagonal cell marks a near-duplicate pair: pruning one loses little.'),
  );
}
