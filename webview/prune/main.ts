/**
 * Prune webview: a model or variant, the method, the sparsity, the allocation and the calibration text; what pruning
 * is predicted to leave (parameters, file size, weight memory, speed) from the model's header before running; Prune
 * queues a prune job (the Jobs view shows it too) with progress, ETA and cancel; when it is done the variant is in
 * the Models view under its parent and Compare opens on the base and the variant. Score model scores the neurons
 * without pruning; the last job's scores show as a histogram per layer with the cut at the chosen sparsity, and (for
 * methods that run the calibration text) a heat map of the top neurons' activation similarity per layer.
 * Ids: webview/README.md.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type {
  PruneAllocationName, PruneCalibrationSource, PruneJobView, PrunePanelMethod, PrunePrediction, PruneProtocol, PruneScoresView, PruneState,
} from '../../src/protocol/webviewPrune.js';
import { PRUNE_CALIBRATED, PRUNE_MAX_SPARSITY, PRUNE_PANEL_METHODS } from '../../src/protocol/webviewPrune.js';
import { formatBytes } from '../../src/protocol/formatBytes.js';
import { HostChannel, HostError } from '../shared/hostChannel.js';
import { adoptCss, byId, h, svg } from '../shared/dom.js';
import baseCss from '../shared/base.css';
import css from './prune.css';
import { renderHeatmap, renderHistograms } from './scoreCharts.js';

adoptCss(baseCss);
adoptCss(css);

const host = new HostChannel<PruneProtocol>();
let job: PruneJobView | null = null;
let scores: PruneScoresView | null = null;
let heatmapLayer = 0;

const METHOD_LABELS: Record<PrunePanelMethod, string> = {
  random: 'Random (seeded baseline)',
  magnitude: 'Magnitude (weight norms)',
  activation: 'Activation (Wanda-sp)',
  flap: 'FLAP (fluctuation, bias compensation)',
  sensitivity: 'Sensitivity (first-order)',
  movement: 'Movement (learned masks)',
  gum: 'GUM (learned, uniqueness)',
  'gum-oneshot': 'GUM one-shot (greedy, unique)',
};

const opt = (value: string, text: string) => h('option', { value }, text);
const select = (id: string, label: string, ...options: HTMLOptionElement[]) =>
  h('label', { for: id }, label, h('select', { id, 'data-testid': id }, ...options));

document.getElementById('app')!.append(
  h('h1', {}, 'Prune FFN neurons'),
  h('section', { class: 'row' },
    select('model', 'Model or variant'),
    select('method', 'Method', ...PRUNE_PANEL_METHODS.map((m) => opt(m, METHOD_LABELS[m]))),
    select('allocation', 'Allocation', opt('uniform', 'Uniform (same share per layer)'), opt('global', 'Global (one ranking across layers)')),
  ),
  h('section', { class: 'row' },
    h('label', { for: 'sparsity' }, 'Sparsity (share of FFN neurons removed)',
      h('input', { id: 'sparsity', 'data-testid': 'sparsity', type: 'range', min: 0, max: PRUNE_MAX_SPARSITY, step: 0.05, value: 0.5 })),
    h('span', { id: 'sparsity-value', 'data-testid': 'sparsity-value', class: 'big' }, '50 %'),
  ),
  h('section', { class: 'row', id: 'calibration-row' },
    select('calibration', 'Calibration text', opt('sample', 'Built-in sample'), opt('files', 'A file or glob'), opt('selection', 'The current editor selection')),
    h('label', { for: 'calibration-path' }, 'File or glob', h('input', { id: 'calibration-path', 'data-testid': 'calibration-path', placeholder: 'docs/**/*.md' })),
    h('vscode-button', { id: 'pick-calibration', 'data-testid': 'pick-calibration', secondary: true, icon: 'folder-opened', title: 'Choose a text file' }),
  ),
  h('p', { id: 'calibration-note', class: 'muted' }),
  h('h3', {}, 'Predicted after pruning'),
  h('table', { id: 'prediction', 'data-testid': 'prediction', class: 'prediction' }),
  h('p', { id: 'prediction-note', 'data-testid': 'prediction-note', class: 'muted' }),
  h('section', { class: 'row actions' },
    h('vscode-button', { id: 'prune', 'data-testid': 'prune', icon: 'play' }, 'Prune'),
    h('vscode-button', { id: 'score', 'data-testid': 'score', secondary: true, icon: 'graph', title: 'Score every neuron by the method, without pruning' }, 'Score model'),
    h('vscode-button', { id: 'cancel', 'data-testid': 'cancel', secondary: true, icon: 'debug-stop', disabled: true }, 'Cancel'),
    h('progress', { id: 'progress', 'data-testid': 'progress', max: 1, value: 0 }),
    h('span', { id: 'status', 'data-testid': 'status', class: 'muted' }),
  ),
  h('div', { id: 'error', 'data-testid': 'error', class: 'error', role: 'alert', hidden: true }),
  h('section', { id: 'result', 'data-testid': 'result', hidden: true },
    h('p', { id: 'summary', 'data-testid': 'summary', class: 'big' }),
    h('div', { id: 'kept-chart', 'data-testid': 'kept-chart' }),
    h('p', { id: 'notes', 'data-testid': 'notes', class: 'muted' }),
    h('vscode-button', { id: 'compare', 'data-testid': 'compare', icon: 'split-horizontal' }, 'Compare with the base'),
  ),
  h('section', { id: 'scores', 'data-testid': 'scores', hidden: true },
    h('h3', { id: 'scores-title' }),
    h('p', { id: 'scores-note', class: 'muted' }),
    h('div', { id: 'histograms', 'data-testid': 'histograms' }),
    h('section', { class: 'row', id: 'heatmap-row' },
      h('label', { for: 'heatmap-layer' }, 'Similarity heat map of layer', h('select', { id: 'heatmap-layer', 'data-testid': 'heatmap-layer' })),
    ),
    h('div', { id: 'heatmap', 'data-testid': 'heatmap' }),
  ),
);

const el = {
  model: byId<HTMLSelectElement>('model'),
  method: byId<HTMLSelectElement>('method'),
  allocation: byId<HTMLSelectElement>('allocation'),
  sparsity: byId<HTMLInputElement>('sparsity'),
  sparsityValue: byId('sparsity-value'),
  calibration: byId<HTMLSelectElement>('calibration'),
  path: byId<HTMLInputElement>('calibration-path'),
  calibrationNote: byId('calibration-note'),
  prediction: byId('prediction'),
  predictionNote: byId('prediction-note'),
  prune: byId('prune'),
  cancel: byId('cancel'),
  progress: byId<HTMLProgressElement>('progress'),
  status: byId('status'),
  error: byId('error'),
  result: byId('result'),
  summary: byId('summary'),
  notes: byId('notes'),
  scores: byId('scores'),
  heatmapLayer: byId<HTMLSelectElement>('heatmap-layer'),
};

function showError(message: string | null): void {
  el.error.hidden = !message;
  el.error.textContent = message ?? '';
}
const message = (e: unknown): string => (e instanceof HostError ? e.message : String(e));

const duration = (sec: number): string => {
  const s = Math.max(0, Math.round(sec));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};
const count = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));
const pct = (x: number): string => `${Math.round(x * 100)} %`;

function sparsity(): number {
  return Math.min(PRUNE_MAX_SPARSITY, Math.max(0, Number(el.sparsity.value)));
}

function calibrationSource(): PruneCalibrationSource | null {
  if (el.calibration.value === 'sample') return { from: 'sample' };
  if (el.calibration.value === 'selection') return { from: 'selection' };
  const p = el.path.value.trim();
  return p ? { from: 'files', pattern: p } : null;
}

function renderCalibration(): void {
  const calibrated = PRUNE_CALIBRATED.includes(el.method.value as PrunePanelMethod);
  el.calibration.disabled = !calibrated;
  const files = el.calibration.value === 'files';
  el.path.parentElement!.hidden = !files || !calibrated;
  byId('pick-calibration').hidden = !files || !calibrated;
  el.calibrationNote.textContent = calibrated
    ? (el.calibration.value === 'selection' ? 'The text selected in the editor when you press Prune.' : '')
    : `${el.method.value} scores from the weights alone: no calibration text is read.`;
}

let predictSeq = 0;
async function refreshPrediction(): Promise<void> {
  el.sparsityValue.textContent = pct(sparsity());
  if (!el.model.value) {
    el.prediction.replaceChildren();
    el.predictionNote.textContent = 'Pick a model.';
    return;
  }
  const seq = ++predictSeq;
  try {
    const p = await host.request('prune/predict', { modelId: el.model.value, sparsity: sparsity() });
    if (seq !== predictSeq) return;
    renderPrediction(p);
  } catch (e) {
    if (seq !== predictSeq) return;
    el.prediction.replaceChildren();
    el.predictionNote.textContent = '';
    showError(message(e));
  }
}

function renderPrediction(p: PrunePrediction): void {
  const row = (what: string, before: string, after: string, ratio: string) =>
    h('tr', { 'data-row': what }, h('td', {}, what), h('td', {}, before), h('td', {}, after), h('td', {}, ratio));
  el.prediction.replaceChildren(
    h('tr', {}, h('th', {}, ''), h('th', {}, 'Now'), h('th', {}, 'After (predicted)'), h('th', {}, '')),
    row('Parameters', count(p.paramsBefore), count(p.paramsAfter), `${pct(p.paramsAfter / p.paramsBefore)}`),
    row('File size', formatBytes(p.fileBytesBefore), formatBytes(p.fileBytesAfter), `${pct(p.fileBytesAfter / p.fileBytesBefore)}`),
    row('Weights in memory', formatBytes(p.weightBytesBefore), formatBytes(p.weightBytesAfter), 'KV cache unchanged'),
    row('Generation speed', '1×', `~${p.speedRatio.toFixed(2)}×`, 'proportional to weight bytes'),
    row('FFN width per layer', widths(p.nFfBefore), widths(p.keptPerLayer), ''),
  );
  const notes = [`A prediction from the ${p.arch} header (${p.nLayer} layers), before any scoring.`];
  if (el.allocation.value === 'global') notes.push('Global allocation decides each layer\'s width after scoring; the totals stay close to these.');
  if (p.rounding) notes.push(`${p.rounding[0].toUpperCase()}${p.rounding.slice(1)}.`);
  el.predictionNote.textContent = notes.join(' ');
}

function widths(ws: number[]): string {
  const distinct = [...new Set(ws)];
  return distinct.length === 1 ? `${distinct[0]} × ${ws.length}` : ws.join(', ');
}

function renderJob(): void {
  const j = job;
  const active = j !== null && (j.state === 'running' || j.state === 'queued');
  (el.cancel as HTMLElement & { disabled: boolean }).disabled = !active;
  (el.prune as HTMLElement & { disabled: boolean }).disabled = active;
  (byId('score') as HTMLElement & { disabled: boolean }).disabled = active;
  el.progress.value = j?.fraction ?? 0;
  if (!j) {
    el.status.textContent = '';
    el.result.hidden = true;
    return;
  }
  const parts = [`${j.title}: ${j.state}`];
  if (j.state === 'running' && j.phase) parts.push(`${j.phase} ${Math.floor(j.fraction * 100)}%`);
  if (j.etaSec !== null && j.state === 'running') parts.push(`ETA ${duration(j.etaSec)}`);
  el.status.textContent = parts.join(' · ');
  showError(j.error && j.state !== 'cancelled' ? j.error : null);
  const r = j.result;
  el.result.hidden = !r;
  if (r) {
    const before = Array.isArray(r.nFfBefore) ? r.nFfBefore.reduce((a, b) => a + b, 0) : r.nFfBefore * r.perLayerKept.length;
    const kept = r.perLayerKept.reduce((a, b) => a + b, 0);
    el.summary.textContent = `Variant ${r.variantId} written: ${kept} of ${before} FFN neurons kept (${pct(kept / before)}), `
      + `${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}. It is in the Models view under its parent.`;
    el.notes.textContent = r.notes.join(' ');
    keptChart(r.perLayerKept, Array.isArray(r.nFfBefore) ? r.nFfBefore : r.perLayerKept.map(() => r.nFfBefore as number));
  }
}

/** FFN width per layer after pruning (bars) against the width before (the outline): where a global prune cut. */
function keptChart(kept: number[], before: number[]): void {
  const W = Math.max(240, 14 * kept.length), H = 90, P = 14;
  const max = Math.max(1, ...before);
  const bw = (W - 2 * P) / kept.length;
  const y = (v: number) => H - P - (v / max) * (H - 2 * P);
  byId('kept-chart').replaceChildren(svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'FFN width per layer, kept of before' },
    ...kept.flatMap((k, l) => [
      svg('rect', { class: 'before', x: P + l * bw + 1, y: y(before[l]), width: Math.max(1, bw - 2), height: H - P - y(before[l]) }),
      svg('rect', { class: 'kept', 'data-layer': l, x: P + l * bw + 1, y: y(k), width: Math.max(1, bw - 2), height: H - P - y(k) }, svg('title', {}, `layer ${l}: ${k} of ${before[l]}`)),
    ]),
    svg('text', { x: P, y: H - 2 }, `FFN width kept per layer (of ${max})`),
  ));
}

/** The followed job's scores: histograms with the cut at the slider's sparsity, and the chosen layer's heat map. */
function renderScores(): void {
  el.scores.hidden = !scores;
  if (!scores) return;
  const s = scores;
  const allocation = el.allocation.value as PruneAllocationName;
  byId('scores-title').textContent = `Neuron scores: ${s.method} on ${s.modelName}${s.source === 'score' ? ' (scored, not pruned)' : ' (the last prune)'}`;
  byId('scores-note').textContent = `One histogram per layer (score → count of neurons); the line is the cut at ${pct(sparsity())} sparsity, `
    + (allocation === 'global' ? 'one score across all layers (global allocation): each layer loses what falls left of it.' : 'each layer\'s own (uniform allocation).')
    + ' Before rounding to quantization blocks.'
    + (s.similarity ? ' Click a histogram for its layer\'s heat map.' : ` ${s.method} reads the weights only: no activations, so no similarity heat map.`);
  renderHistograms(byId('histograms'), s, sparsity(), allocation, heatmapLayer, (layer) => {
    heatmapLayer = layer;
    el.heatmapLayer.value = String(layer);
    renderScores();
  });
  byId('heatmap-row').hidden = !s.similarity;
  renderHeatmap(byId('heatmap'), s, heatmapLayer);
}

host.on('prune/scores', (s) => {
  scores = s;
  if (s?.similarity) {
    if (!s.similarity.layers.some((x) => x.layer === heatmapLayer)) heatmapLayer = s.similarity.layers[0]?.layer ?? 0;
    el.heatmapLayer.replaceChildren(...s.similarity.layers.map((x) => h('option', { value: x.layer, selected: x.layer === heatmapLayer }, `layer ${x.layer}`)));
  }
  renderScores();
});

host.on('prune/state', (s: PruneState) => {
  const keep = s.model ?? el.model.value;
  el.model.replaceChildren(...s.models.map((m) => h('option', { value: m.id, selected: m.id === keep }, m.name)));
  if (!s.dataDirectory) showError('Open a trusted folder first: pruned variants go to its data folder.');
  job = s.job;
  renderJob();
  renderCalibration();
  void refreshPrediction().finally(() => { document.body.dataset.ready = 'true'; });
});
host.on('prune/job', (j) => {
  job = j;
  renderJob();
});

el.model.addEventListener('change', () => void refreshPrediction());
el.sparsity.addEventListener('input', () => { void refreshPrediction(); renderScores(); });
el.allocation.addEventListener('change', () => { void refreshPrediction(); renderScores(); });
el.heatmapLayer.addEventListener('change', () => { heatmapLayer = Number(el.heatmapLayer.value); renderScores(); });
el.method.addEventListener('change', renderCalibration);
el.calibration.addEventListener('change', renderCalibration);
byId('pick-calibration').addEventListener('click', async () => {
  const r = await host.request('prune/pickCalibration', {});
  if (r.path) el.path.value = r.path;
});
/** Prune and Score model send the same choices; Score model writes nothing but the scores. */
async function startJob(what: 'prune/start' | 'prune/score'): Promise<void> {
  const calibration = calibrationSource();
  if (!el.model.value) return showError('Pick a model first.');
  if (!calibration) return showError('Type a file or glob for the calibration text, or pick the built-in sample.');
  showError(null);
  try {
    await host.request(what, {
      modelId: el.model.value, method: el.method.value as PrunePanelMethod, sparsity: sparsity(),
      allocation: el.allocation.value as PruneAllocationName, calibration,
    });
  } catch (e) {
    showError(message(e));
  }
}
el.prune.addEventListener('click', () => void startJob('prune/start'));
byId('score').addEventListener('click', () => void startJob('prune/score'));
el.cancel.addEventListener('click', () => job && void host.request('prune/cancel', { jobId: job.jobId }).catch((e) => showError(message(e))));
byId('compare').addEventListener('click', () => job && void host.request('prune/compare', { jobId: job.jobId }).catch((e) => showError(message(e))));

host.ready();
