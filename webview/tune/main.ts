/**
 * Tune webview: a model or pruned variant, the pairs (preference store or a TRL file) with their held-out split,
 * a preset with its estimated time and memory, a method; Start queues a tune job (the Jobs view shows it too). Live
 * charts of loss, reward margin and accuracy from the job's metrics, ETA, cancel and resume; at the end held-out
 * accuracy before/after by llama.cpp and Compare. Ids: webview/README.md.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type {
  TuneDataset, TuneEstimate, TuneJobView, TuneMetricPoint, TunePairsSource, TunePresetName, TuneProtocol, TuneState,
} from '../../src/protocol/webviewTune.js';
import { TUNE_PRESET_NAMES, TUNE_PRESETS } from '../../src/protocol/webviewTune.js';
import { formatBytes } from '../../src/protocol/formatBytes.js';
import { HostChannel, HostError } from '../shared/hostChannel.js';
import { mountDno } from './dnoSection.js';
import { adoptCss, byId, h, svg } from '../shared/dom.js';
import baseCss from '../shared/base.css';
import css from './tune.css';

adoptCss(baseCss);
adoptCss(css);

const host = new HostChannel<TuneProtocol>();
let job: TuneJobView | null = null;
let estimates: Record<TunePresetName, TuneEstimate> | null = null;

const opt = (value: string, text: string) => h('option', { value }, text);
const select = (id: string, label: string, ...options: HTMLOptionElement[]) =>
  h('label', { for: id }, label, h('select', { id, 'data-testid': id }, ...options));

document.getElementById('app')!.append(
  h('h1', {}, 'Tune on preferences'),
  h('section', { class: 'row' },
    select('model', 'Model or variant'),
    select('mode', 'Mode', opt('pairs', 'Train on labelled pairs'), opt('dno', 'DNO iterations (sample, rank, train)')),
    select('pairs-source', 'Pairs', opt('store', 'This workspace\'s preference store'), opt('file', 'TRL pairs file')),
    h('label', { for: 'pairs-path' }, 'Pairs file', h('input', { id: 'pairs-path', 'data-testid': 'pairs-path', placeholder: 'pairs.jsonl' })),
    h('vscode-button', { id: 'pick-pairs', 'data-testid': 'pick-pairs', secondary: true, icon: 'folder-opened', title: 'Choose a pairs file' }),
  ),
  h('p', { id: 'dataset', 'data-testid': 'dataset', class: 'muted' }, 'Reading the pairs…'),
  h('section', { class: 'row', id: 'pairs-mode' },
    select('preset', 'Preset', ...TUNE_PRESET_NAMES.map((n) => opt(n, TUNE_PRESETS[n].label))),
    select('method', 'Method', opt('dpo', 'DPO'), opt('ipo', 'IPO'), opt('sft', 'SFT (chosen answers only)')),
    h('label', { for: 'dropout', title: 'LoRA dropout (PEFT\'s lora_dropout): the share of the adapter\'s input dropped at each training step; 0 = none' },
      'LoRA dropout', h('input', { id: 'dropout', 'data-testid': 'dropout', type: 'number', min: 0, max: 0.9, step: 0.05, value: 0 })),
  ),
  h('table', { id: 'estimates', 'data-testid': 'estimates', class: 'presets' }),
  h('p', { class: 'muted estimate-note' }, 'Time and memory are estimates: from the model\'s size, the pair count and the tokens/s of an earlier run of this model (or a conservative guess).'),
  h('section', { class: 'row actions' },
    h('vscode-button', { id: 'start', 'data-testid': 'start', icon: 'play' }, 'Start'),
    h('vscode-button', { id: 'cancel', 'data-testid': 'cancel', secondary: true, icon: 'debug-stop', disabled: true }, 'Cancel'),
    h('vscode-button', { id: 'resume', 'data-testid': 'resume', secondary: true, icon: 'debug-continue', hidden: true }, 'Resume'),
    h('progress', { id: 'progress', 'data-testid': 'progress', max: 1, value: 0 }),
    h('span', { id: 'status', 'data-testid': 'status', class: 'muted' }),
  ),
  h('div', { id: 'error', 'data-testid': 'error', class: 'error', role: 'alert', hidden: true }),
  h('div', { class: 'charts' },
    h('div', { class: 'chart' }, h('h3', {}, 'Loss'), h('div', { id: 'chart-loss', 'data-testid': 'chart-loss' })),
    h('div', { class: 'chart' }, h('h3', {}, 'Reward margin'), h('div', { id: 'chart-margin', 'data-testid': 'chart-margin' })),
    h('div', { class: 'chart' }, h('h3', {}, 'Reward accuracy'), h('div', { id: 'chart-accuracy', 'data-testid': 'chart-accuracy' })),
  ),
  h('section', { id: 'result', 'data-testid': 'result', hidden: true },
    h('p', { id: 'accuracy', 'data-testid': 'accuracy', class: 'big' }),
    h('vscode-button', { id: 'compare', 'data-testid': 'compare', icon: 'split-horizontal' }, 'Compare with and without the adapter'),
  ),
);

const el = {
  model: byId<HTMLSelectElement>('model'),
  mode: byId<HTMLSelectElement>('mode'),
  dropout: byId<HTMLInputElement>('dropout'),
  source: byId<HTMLSelectElement>('pairs-source'),
  path: byId<HTMLInputElement>('pairs-path'),
  dataset: byId('dataset'),
  preset: byId<HTMLSelectElement>('preset'),
  method: byId<HTMLSelectElement>('method'),
  estimates: byId('estimates'),
  start: byId('start'),
  cancel: byId('cancel'),
  resume: byId('resume'),
  progress: byId<HTMLProgressElement>('progress'),
  status: byId('status'),
  error: byId('error'),
  result: byId('result'),
  accuracy: byId('accuracy'),
};

function showError(message: string | null): void {
  el.error.hidden = !message;
  el.error.textContent = message ?? '';
}

const dno = mountDno(host, document.getElementById('app')!, { model: () => el.model.value, prompts: () => source(), showError });
/** Pairs mode shows presets, the estimate table, the job and its charts; DNO mode its own form and history. */
function renderMode(): void {
  const pairsMode = el.mode.value === 'pairs';
  for (const id of ['pairs-mode', 'estimates', 'start', 'cancel', 'progress', 'status']) byId(id).hidden = !pairsMode;
  for (const node of document.querySelectorAll<HTMLElement>('.charts, .estimate-note')) node.hidden = !pairsMode;
  if (!pairsMode) el.resume.hidden = true;
  dno.show(!pairsMode);
}

const duration = (sec: number): string => {
  const s = Math.max(0, Math.round(sec));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};

function source(): TunePairsSource | null {
  if (el.source.value === 'store') return { from: 'store' };
  const p = el.path.value.trim();
  return p ? { from: 'file', path: p } : null;
}

let datasetSeq = 0;
async function refreshDataset(): Promise<void> {
  const pairs = source();
  el.path.parentElement!.hidden = el.source.value !== 'file';
  byId('pick-pairs').hidden = el.source.value !== 'file';
  if (!el.model.value || !pairs) {
    el.dataset.textContent = pairs ? 'Pick a model.' : 'Choose a pairs file.';
    estimates = null;
    renderEstimates();
    return;
  }
  const seq = ++datasetSeq;
  el.dataset.textContent = 'Reading the pairs…';
  try {
    const r = await host.request('tune/dataset', { modelId: el.model.value, pairs });
    if (seq !== datasetSeq) return;
    el.dataset.textContent = describeDataset(r.dataset);
    estimates = r.estimates;
    showError(null);
  } catch (e) {
    if (seq !== datasetSeq) return;
    el.dataset.textContent = '';
    estimates = null;
    showError(e instanceof HostError ? e.message : String(e));
  }
  renderEstimates();
}

function describeDataset(d: TuneDataset): string {
  if (d.pairs === 0) return `${d.label}: no pairs yet. Label some comparisons first (Generate Alternatives, or blind votes in Compare).`;
  return `${d.label}: ${d.pairs} pairs — ${d.train} to train on, ${d.heldOut} held out${d.heldOut === 0 ? ' (a tenth is held out from 20 pairs on)' : ''}.`;
}

function renderEstimates(): void {
  if (!estimates) {
    el.estimates.replaceChildren();
    return;
  }
  const e = estimates;
  el.estimates.replaceChildren(
    h('tr', {}, h('th', {}, 'Preset'), h('th', {}, 'Steps'), h('th', {}, 'Time (est.)'), h('th', {}, 'Memory (est.)'), h('th', {}, 'Throughput')),
    ...TUNE_PRESET_NAMES.map((n) => h('tr', { 'data-preset': n, class: n === el.preset.value ? 'selected' : undefined },
      h('td', {}, TUNE_PRESETS[n].label), h('td', {}, e[n].steps), h('td', {}, `~${duration(e[n].seconds)}`), h('td', {}, `~${formatBytes(e[n].memoryBytes)}`),
      h('td', {}, `${Math.round(e[n].tokensPerSec)} tok/s (${e[n].tokensPerSecSource})`))),
  );
}

/** A small line chart of one series (inline SVG), with its first and last values. */
function chart(id: string, points: TuneMetricPoint[], value: (p: TuneMetricPoint) => number | null, fixed?: [number, number]): void {
  const W = 260, H = 110, P = 22;
  const pts = points.map((p) => [p.step, value(p)] as const).filter((x): x is readonly [number, number] => x[1] !== null);
  const box = byId(id);
  if (pts.length === 0) {
    box.replaceChildren(h('span', { class: 'muted' }, 'no steps yet'));
    return;
  }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const [y0, y1] = fixed ?? [Math.min(...ys), Math.max(...ys)];
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const sx = (x: number) => P + ((x - x0) / Math.max(1e-9, x1 - x0)) * (W - 2 * P);
  const sy = (y: number) => H - P - ((y - y0) / Math.max(1e-9, y1 - y0)) * (H - 2 * P);
  const zero = y0 < 0 && y1 > 0 ? [svg('line', { x1: P, x2: W - P, y1: sy(0), y2: sy(0) })] : [];
  box.replaceChildren(svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': id },
    ...zero,
    svg('polyline', { points: pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ') }),
    svg('text', { x: 2, y: 12 }, y1.toFixed(3)),
    svg('text', { x: 2, y: H - 4 }, y0.toFixed(3)),
    svg('text', { x: W - P - 40, y: H - 4 }, `step ${x1}`),
  ));
}

function renderJob(): void {
  const j = job;
  const active = j !== null && (j.state === 'running' || j.state === 'queued');
  (el.cancel as HTMLElement & { disabled: boolean }).disabled = !active;
  (el.start as HTMLElement & { disabled: boolean }).disabled = active;
  el.resume.hidden = !(j && (j.state === 'cancelled' || j.state === 'crashed' || j.state === 'failed'));
  el.progress.value = j?.fraction ?? 0;
  if (!j) {
    el.status.textContent = '';
    el.result.hidden = true;
    for (const id of ['chart-loss', 'chart-margin', 'chart-accuracy']) byId(id).replaceChildren();
    return;
  }
  const parts = [`${j.title}: ${j.state}`];
  if (j.state === 'running' && j.phase) parts.push(`${j.phase} ${Math.floor(j.fraction * 100)}%`);
  if (j.step !== null && j.steps !== null) parts.push(`step ${j.step}/${j.steps}`);
  if (j.tokensPerSec !== null && j.state === 'running') parts.push(`${Math.round(j.tokensPerSec)} tok/s`);
  if (j.etaSec !== null && j.state === 'running') parts.push(`ETA ${duration(j.etaSec)}`);
  el.status.textContent = parts.join(' · ');
  showError(j.error && j.state !== 'cancelled' ? j.error : null);
  chart('chart-loss', j.metrics, (p) => p.loss);
  chart('chart-margin', j.metrics, (p) => p.margin);
  chart('chart-accuracy', j.metrics, (p) => p.accuracy, [0, 1]);
  el.result.hidden = !j.result;
  const a = j.accuracy;
  const pct = (x: number | undefined) => (x === undefined ? '?' : `${(x * 100).toFixed(0)}%`);
  el.accuracy.textContent = !a ? 'Adapter saved.'
    : a.state === 'measuring' ? `Measuring held-out accuracy with llama.cpp on ${a.pairs} pairs…`
    : a.state === 'done' ? `Held-out preference accuracy (llama.cpp, ${a.pairs} pairs): ${pct(a.before)} without the adapter → ${pct(a.after)} with it.`
    : `Adapter saved. ${a.message ?? ''}`;
}

host.on('tune/state', (s: TuneState) => {
  const keep = s.model ?? el.model.value;
  el.model.replaceChildren(...s.models.map((m) => h('option', { value: m.id, selected: m.id === keep }, m.name)));
  dno.setModels(s.models);
  if (!s.dataDirectory) showError('Open a trusted folder first: runs and adapters go to its data folder.');
  job = s.job;
  renderJob();
  void refreshDataset().finally(() => { document.body.dataset.ready = 'true'; });
});
host.on('tune/job', (j) => {
  job = j;
  renderJob();
});

el.model.addEventListener('change', () => void refreshDataset());
el.source.addEventListener('change', () => void refreshDataset());
el.path.addEventListener('change', () => void refreshDataset());
el.preset.addEventListener('change', renderEstimates);
el.mode.addEventListener('change', renderMode);
byId('pick-pairs').addEventListener('click', async () => {
  const r = await host.request('tune/pickPairs', {});
  if (r.path) {
    el.path.value = r.path;
    void refreshDataset();
  }
});
el.start.addEventListener('click', async () => {
  const pairs = source();
  if (!el.model.value || !pairs) return showError('Pick a model and the pairs first.');
  showError(null);
  try {
    const dropout = Number(el.dropout.value) || 0;
    await host.request('tune/start', {
      modelId: el.model.value, pairs, preset: el.preset.value as TunePresetName, method: el.method.value as 'dpo' | 'ipo' | 'sft', ...(dropout > 0 ? { dropout } : {}),
    });
  } catch (e) {
    showError(e instanceof HostError ? e.message : String(e));
  }
});
el.cancel.addEventListener('click', () => job && void host.request('tune/cancel', { jobId: job.jobId }));
el.resume.addEventListener('click', () => job && void host.request('tune/resume', { jobId: job.jobId }).catch((e) => showError(e instanceof HostError ? e.message : String(e))));
byId('compare').addEventListener('click', () => job && void host.request('tune/compare', { jobId: job.jobId }).catch((e) => showError(e instanceof HostError ? e.message : String(e))));

renderMode();
host.ready();
