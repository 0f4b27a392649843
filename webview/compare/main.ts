/**
 * Compare webview: 2–4 columns (models, variants, a model + adapter, OpenAI-compatible endpoints) answer the same
 * prompt(s) side by side; stats per column; word diff against the first column; per-token log-prob heat map and the
 * difference between two columns' models on the same text; blind mode with votes into the preference store.
 * Ids: webview/README.md.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { CompareColumnStats, CompareProtocol, CompareSource, CompareState, HeatToken } from '../../src/protocol/webviewCompare.js';
import { MAX_COMPARE_COLUMNS } from '../../src/protocol/webviewCompare.js';
import type { PlaygroundModelOption, SamplingSettings } from '../../src/protocol/webviewPlayground.js';
import { describeStopReason } from '../../src/protocol/stopReasons.js';
import { formatBytes } from '../../src/protocol/formatBytes.js';
import { wordDiff } from '../../src/protocol/wordDiff.js';
import { HostChannel, HostError } from '../shared/hostChannel.js';
import { adoptCss, byId, h } from '../shared/dom.js';
import baseCss from '../shared/base.css';
import css from './compare.css';

adoptCss(baseCss);
adoptCss(css);

const host = new HostChannel<CompareProtocol>();
const ENDPOINT = '__endpoint__';

interface ColumnView {
  source: CompareSource | null;
  root: HTMLElement;
}
interface Result {
  text: string;
  stats: CompareColumnStats | null;
  error: string | null;
}

let models: PlaygroundModelOption[] = [];
let sampling: SamplingSettings = { temperature: 0.7, topP: 0.9, topK: 40, maxTokens: 256 };
let columns: ColumnView[] = [];
let runId: string | null = null;
let order: number[] = [];
let blindRun = false;
let results: Result[][] = [];
let shownPrompt = 0;
let running = false;
const votes = new Set<number>();

const num = (id: string, label: string, attrs: Record<string, string | number>) =>
  h('label', { for: id }, label, h('input', { id, 'data-testid': id, type: 'number', ...attrs }));

document.getElementById('app')!.append(
  h('header', { class: 'row toolbar' },
    h('label', { for: 'mode' }, 'Mode',
      h('select', { id: 'mode', 'data-testid': 'mode' }, h('option', { value: 'complete' }, 'Raw completion'), h('option', { value: 'chat' }, 'Chat'))),
    num('temperature', 'Temperature', { min: 0, max: 5, step: 0.05 }),
    num('max-tokens', 'Max tokens', { min: 1, max: 32768, step: 1 }),
    h('label', { for: 'seed' }, 'Seed', h('input', { id: 'seed', 'data-testid': 'seed', type: 'number', min: 0, step: 1, placeholder: 'random' })),
    h('label', { for: 'blind', class: 'check' }, h('input', { id: 'blind', 'data-testid': 'blind', type: 'checkbox' }), 'Blind A/B (names hidden, order shuffled)'),
    h('label', { for: 'prompt-list', class: 'check' }, h('input', { id: 'prompt-list', 'data-testid': 'prompt-list', type: 'checkbox' }), 'One prompt per line'),
  ),
  h('section', { class: 'compose' },
    h('textarea', { id: 'prompt', 'data-testid': 'prompt', rows: 4, placeholder: 'A prompt every column answers… (Ctrl+Enter runs, Escape stops)' }),
    h('div', { class: 'row' },
      h('vscode-button', { id: 'run', 'data-testid': 'run', icon: 'play' }, 'Run'),
      h('vscode-button', { id: 'stop', 'data-testid': 'stop', secondary: true, icon: 'debug-stop', disabled: true }, 'Stop'),
      h('vscode-button', { id: 'add-column', 'data-testid': 'add-column', secondary: true, icon: 'add' }, 'Add column'),
      h('vscode-progress-ring', { id: 'busy', 'data-testid': 'busy', hidden: true }),
      h('label', { for: 'shown-prompt', id: 'shown-prompt-field', hidden: true }, 'Prompt', h('select', { id: 'shown-prompt', 'data-testid': 'shown-prompt' })),
      h('span', { id: 'status', 'data-testid': 'status', class: 'muted' }),
    ),
  ),
  h('div', { id: 'error', 'data-testid': 'error', class: 'error', role: 'alert', hidden: true }),
  h('section', { id: 'columns', 'data-testid': 'columns', class: 'columns' }),
  h('section', { id: 'vote-bar', 'data-testid': 'vote-bar', class: 'row vote', hidden: true }),
  h('section', { id: 'heat', class: 'heat' },
    h('div', { class: 'row' },
      h('label', { for: 'heat-column' }, 'Heat map of', h('select', { id: 'heat-column', 'data-testid': 'heat-column' })),
      h('label', { for: 'heat-against' }, 'difference against', h('select', { id: 'heat-against', 'data-testid': 'heat-against' })),
      h('vscode-button', { id: 'heatmap-button', 'data-testid': 'heatmap-button', secondary: true, icon: 'flame', disabled: true }, 'Show log-probs'),
      h('span', { id: 'heat-legend', 'data-testid': 'heat-legend', class: 'muted' }),
    ),
    h('div', { id: 'heatmap', 'data-testid': 'heatmap', class: 'heatmap' }),
  ),
);

const el = {
  mode: byId<HTMLSelectElement>('mode'),
  temperature: byId<HTMLInputElement>('temperature'),
  maxTokens: byId<HTMLInputElement>('max-tokens'),
  seed: byId<HTMLInputElement>('seed'),
  blind: byId<HTMLInputElement>('blind'),
  promptList: byId<HTMLInputElement>('prompt-list'),
  prompt: byId<HTMLTextAreaElement>('prompt'),
  run: byId('run'),
  stop: byId('stop'),
  addColumn: byId('add-column'),
  busy: byId('busy'),
  status: byId('status'),
  error: byId('error'),
  columns: byId('columns'),
  voteBar: byId('vote-bar'),
  shownPromptField: byId('shown-prompt-field'),
  shownPrompt: byId<HTMLSelectElement>('shown-prompt'),
  heatColumn: byId<HTMLSelectElement>('heat-column'),
  heatAgainst: byId<HTMLSelectElement>('heat-against'),
  heatButton: byId('heatmap-button'),
  heatLegend: byId('heat-legend'),
  heatmap: byId('heatmap'),
};

function showError(message: string | null): void {
  el.error.hidden = !message;
  el.error.textContent = message ?? '';
}

/** The name a column shows: hidden behind a letter in blind mode. */
function columnTitle(pos: number): string {
  if (blindRun) return `Response ${String.fromCharCode(65 + pos)}`;
  const src = columns[order[pos] ?? pos]?.source;
  if (!src) return `Column ${pos + 1}`;
  if (src.kind === 'endpoint') return `${src.model} @ ${src.url}`;
  const name = models.find((m) => m.id === src.modelId)?.name ?? src.modelId;
  return src.adapterPath ? `${name} + ${src.adapterPath.split(/[\\/]/).pop()} × ${src.adapterScale ?? 1}` : name;
}

function readColumn(root: HTMLElement): CompareSource | null {
  const pick = root.querySelector<HTMLSelectElement>('.source')!.value;
  if (pick === ENDPOINT) {
    const url = root.querySelector<HTMLInputElement>('.endpoint-url')!.value.trim();
    const model = root.querySelector<HTMLInputElement>('.endpoint-model')!.value.trim();
    const apiKey = root.querySelector<HTMLInputElement>('.endpoint-key')!.value.trim();
    return url && model ? { kind: 'endpoint', url, model, ...(apiKey ? { apiKey } : {}) } : null;
  }
  if (!pick) return null;
  const adapterPath = root.querySelector<HTMLInputElement>('.adapter-path')!.value.trim();
  const scale = Number(root.querySelector<HTMLInputElement>('.adapter-scale')!.value);
  return { kind: 'model', modelId: pick, ...(adapterPath ? { adapterPath, adapterScale: Number.isFinite(scale) ? scale : 1 } : {}) };
}

function fillSources(select: HTMLSelectElement, selected: string | null): void {
  select.replaceChildren(
    h('option', { value: '' }, '(choose a model)'),
    ...models.map((m) => h('option', { value: m.id, selected: m.id === selected }, `${m.name}${m.source === 'variant' ? '' : ` (${m.source})`}`)),
    h('option', { value: ENDPOINT, selected: selected === ENDPOINT }, 'OpenAI-compatible endpoint…'),
  );
}

function addColumn(src: CompareSource | null): void {
  if (columns.length >= MAX_COMPARE_COLUMNS) return;
  const i = columns.length;
  const root = h('div', { class: 'column', 'data-testid': `column-${i}` },
    h('div', { class: 'row tight' },
      h('select', { class: 'source', 'data-testid': `column-source-${i}`, 'aria-label': `Column ${i + 1} model` }),
      h('vscode-button', { class: 'remove', 'data-testid': `column-remove-${i}`, secondary: true, icon: 'close', title: 'Remove this column' })),
    h('div', { class: 'model-fields row tight' },
      h('input', { class: 'adapter-path', 'data-testid': `column-adapter-${i}`, placeholder: 'LoRA adapter (none)', size: 18 }),
      h('vscode-button', { class: 'pick-adapter', secondary: true, icon: 'folder-opened', title: 'Choose a LoRA adapter GGUF' }),
      h('input', { class: 'adapter-scale', 'data-testid': `column-scale-${i}`, type: 'number', min: -4, max: 4, step: 0.1, value: 1, title: 'Adapter scale' })),
    h('div', { class: 'endpoint-fields', hidden: true },
      h('input', { class: 'endpoint-url', 'data-testid': `column-url-${i}`, placeholder: 'http://127.0.0.1:8080/v1' }),
      h('input', { class: 'endpoint-model', 'data-testid': `column-endpoint-model-${i}`, placeholder: 'model name' }),
      h('input', { class: 'endpoint-key', type: 'password', placeholder: 'API key (optional)' })),
    h('div', { class: 'row result-head' },
      h('h2', { class: 'title', 'data-testid': `column-title-${i}` }),
      h('span', { class: 'stats muted', 'data-testid': `stats-${i}` })),
    h('pre', { class: 'output', 'data-testid': `output-${i}` }),
  );
  const select = root.querySelector<HTMLSelectElement>('.source')!;
  fillSources(select, src?.kind === 'endpoint' ? ENDPOINT : (src?.modelId ?? null));
  if (src?.kind === 'model' && src.adapterPath) {
    root.querySelector<HTMLInputElement>('.adapter-path')!.value = src.adapterPath;
    root.querySelector<HTMLInputElement>('.adapter-scale')!.value = String(src.adapterScale ?? 1);
  }
  if (src?.kind === 'endpoint') {
    root.querySelector<HTMLInputElement>('.endpoint-url')!.value = src.url;
    root.querySelector<HTMLInputElement>('.endpoint-model')!.value = src.model;
  }
  const view: ColumnView = { source: src, root };
  const sync = (): void => {
    const endpoint = select.value === ENDPOINT;
    root.querySelector<HTMLElement>('.endpoint-fields')!.hidden = !endpoint;
    root.querySelector<HTMLElement>('.model-fields')!.hidden = endpoint;
    view.source = readColumn(root);
    persist();
  };
  root.addEventListener('change', sync);
  root.addEventListener('input', sync);
  root.querySelector('.pick-adapter')!.addEventListener('click', async () => {
    const r = await host.request('compare/pickAdapter', {});
    if (r.path) {
      root.querySelector<HTMLInputElement>('.adapter-path')!.value = r.path;
      sync();
    }
  });
  root.querySelector('.remove')!.addEventListener('click', () => {
    if (running || columns.length <= 2) return;
    columns = columns.filter((c) => c !== view);
    rebuildColumns();
  });
  columns.push(view);
  el.columns.append(root);
  sync();
}

/** Renumbers the columns after one was removed (their test ids follow their position). */
function rebuildColumns(): void {
  const sources = columns.map((c) => c.source);
  columns = [];
  el.columns.replaceChildren();
  for (const s of sources) addColumn(s);
  refreshControls();
}

function refreshControls(): void {
  el.addColumn.toggleAttribute('disabled', running || columns.length >= MAX_COMPARE_COLUMNS);
  el.run.toggleAttribute('disabled', running);
  el.stop.toggleAttribute('disabled', !running);
  el.busy.hidden = !running;
  const done = results[shownPrompt]?.filter((r) => r?.stats && !r.error).length ?? 0;
  el.heatButton.toggleAttribute('disabled', running || done === 0);
  for (const c of columns) {
    c.root.querySelectorAll<HTMLInputElement | HTMLSelectElement>('select, input').forEach((x) => (x.disabled = running));
  }
}

function persist(): void {
  host.setState({ prompt: el.prompt.value, columns: columns.map((c) => c.source), blind: el.blind.checked, mode: el.mode.value, promptList: el.promptList.checked });
}

function statsText(s: CompareColumnStats): string {
  const parts = [
    `TTFT ${s.timeToFirstTokenMs === null ? '–' : `${s.timeToFirstTokenMs.toFixed(0)} ms`}`,
    `${s.tokensPerSecond === null ? '–' : s.tokensPerSecond.toFixed(1)} tok/s`,
    `${s.tokens} tokens`,
    describeStopReason(s.stopReason),
  ];
  if (s.fileBytes !== null) parts.push(`file ${formatBytes(s.fileBytes)}`);
  if (s.memoryBytes !== null) parts.push(`memory ${formatBytes(s.memoryBytes)}`);
  return parts.join(' · ');
}

/** Column texts in display order; from the second column on, words the first column lacks are marked. */
function renderResults(): void {
  const row = results[shownPrompt] ?? [];
  const first = row[order[0] ?? 0];
  columns.forEach((c, pos) => {
    const ci = order[pos] ?? pos;
    const r = row[ci];
    c.root.querySelector('.title')!.textContent = columnTitle(pos);
    const out = c.root.querySelector<HTMLElement>('.output')!;
    const stats = c.root.querySelector<HTMLElement>('.stats')!;
    stats.textContent = r?.error ? '' : r?.stats ? statsText(r.stats) : '';
    if (r?.error) {
      out.replaceChildren(h('span', { class: 'error-text' }, r.error));
    } else if (pos > 0 && r?.stats && first?.stats && !first.error) {
      out.replaceChildren(...wordDiff(first.text, r.text).filter((p) => p.op !== 'removed').map((p) => (p.op === 'added' ? h('mark', { class: 'diff-add', title: 'not in the first column' }, p.text) : p.text)));
    } else {
      out.textContent = r?.text ?? '';
    }
  });
  const labels = columns.map((_, pos) => h('option', { value: pos }, columnTitle(pos)));
  const keep = [el.heatColumn.value, el.heatAgainst.value];
  el.heatColumn.replaceChildren(...labels.map((o) => o.cloneNode(true)));
  el.heatAgainst.replaceChildren(h('option', { value: '' }, '(none)'), ...labels);
  if (keep[0]) el.heatColumn.value = keep[0];
  if (keep[1] !== undefined) el.heatAgainst.value = keep[1];
  renderVoteBar();
  refreshControls();
}

function renderVoteBar(): void {
  const row = results[shownPrompt] ?? [];
  const complete = runId !== null && columns.every((_, ci) => row[ci]?.stats && !row[ci]?.error);
  el.voteBar.hidden = !(blindRun && complete && !running);
  if (el.voteBar.hidden) return;
  if (votes.has(shownPrompt)) {
    el.voteBar.replaceChildren(h('span', { 'data-testid': 'vote-status' }, 'Vote saved to the preference store.'));
    return;
  }
  const cast = async (ranking: number[][], allBad = false): Promise<void> => {
    try {
      await host.request('compare/vote', { runId: runId!, prompt: shownPrompt, ranking, ...(allBad ? { allBad } : {}) });
      votes.add(shownPrompt);
      renderVoteBar();
    } catch (e) {
      showError(e instanceof HostError ? e.message : String(e));
    }
  };
  el.voteBar.replaceChildren(
    h('span', {}, 'Which is better?'),
    ...columns.map((_, pos) => {
      const b = h('vscode-button', { 'data-testid': `vote-${pos}` }, `${columnTitle(pos)}`);
      b.addEventListener('click', () => void cast([[pos]]));
      return b;
    }),
    (() => {
      const b = h('vscode-button', { 'data-testid': 'vote-tie', secondary: true }, 'Tie');
      b.addEventListener('click', () => void cast([columns.map((_, pos) => pos)]));
      return b;
    })(),
    (() => {
      const b = h('vscode-button', { 'data-testid': 'vote-allbad', secondary: true }, 'All bad');
      b.addEventListener('click', () => void cast([], true));
      return b;
    })(),
  );
}

function readSampling(): SamplingSettings {
  const t = Number(el.temperature.value);
  const m = Number(el.maxTokens.value);
  const seedText = el.seed.value.trim();
  return {
    ...sampling,
    temperature: Number.isFinite(t) && t >= 0 ? t : sampling.temperature,
    maxTokens: Number.isInteger(m) && m >= 1 ? m : sampling.maxTokens,
    ...(seedText !== '' && Number.isInteger(Number(seedText)) ? { seed: Number(seedText) } : { seed: undefined }),
  };
}

async function run(): Promise<void> {
  showError(null);
  const sources = columns.map((c) => c.source);
  if (sources.some((s) => s === null)) return showError('Choose a model (or fill in the endpoint) for every column.');
  const text = el.prompt.value;
  const prompts = el.promptList.checked ? text.split(/\r?\n/).filter((l) => l.trim() !== '') : [text];
  if (prompts.length === 0 || prompts.every((p) => p.trim() === '')) return showError('Type a prompt first.');
  blindRun = el.blind.checked;
  results = prompts.map(() => columns.map(() => ({ text: '', stats: null, error: null })));
  votes.clear();
  shownPrompt = 0;
  el.shownPrompt.replaceChildren(...prompts.map((p, i) => h('option', { value: i }, `${i + 1}: ${p.slice(0, 40)}`)));
  el.shownPromptField.hidden = prompts.length < 2;
  el.heatmap.replaceChildren();
  el.heatLegend.textContent = '';
  running = true;
  try {
    const r = await host.request('compare/run', { prompts, columns: sources as CompareSource[], mode: el.mode.value as 'chat' | 'complete', sampling: readSampling(), blind: blindRun });
    runId = r.runId;
    order = r.order;
  } catch (e) {
    running = false;
    showError(e instanceof HostError ? e.message : String(e));
  }
  renderResults();
}

/** Colour of a log-prob: likely tokens stay plain, unlikely ones turn red (or green/red for a difference). */
function heatColor(t: HeatToken, diff: boolean): string {
  if (diff) {
    if (t.logprob === null || t.other === null || t.other === undefined) return 'transparent';
    const d = Math.max(-4, Math.min(4, t.logprob - t.other));
    return d >= 0 ? `rgba(22, 163, 74, ${(d / 4) * 0.6})` : `rgba(220, 38, 38, ${(-d / 4) * 0.6})`;
  }
  if (t.logprob === null) return 'transparent';
  return `rgba(220, 38, 38, ${Math.min(1, -t.logprob / 8) * 0.7})`;
}

async function showHeatmap(): Promise<void> {
  if (!runId) return;
  showError(null);
  const pos = Number(el.heatColumn.value || 0);
  const againstPos = el.heatAgainst.value === '' ? undefined : Number(el.heatAgainst.value);
  el.heatLegend.textContent = 'Scoring…';
  try {
    const r = await host.request('compare/heatmap', {
      runId, prompt: shownPrompt, column: order[pos] ?? pos,
      ...(againstPos !== undefined ? { against: order[againstPos] ?? againstPos } : {}),
    });
    const diff = againstPos !== undefined && againstPos !== pos;
    el.heatmap.replaceChildren(...r.tokens.map((t, i) => {
      const value = diff ? (t.logprob !== null && t.other != null ? t.logprob - t.other : null) : t.logprob;
      return h('span', {
        class: 'tok', 'data-testid': `heat-token-${i}`, style: `background:${heatColor(t, diff)}`,
        title: value === null ? 'first token: no log-prob' : diff ? `Δ log p ${value.toFixed(3)} (${columnTitle(pos)} − ${columnTitle(againstPos!)})` : `log p ${value.toFixed(3)}`,
      }, t.piece);
    }));
    el.heatLegend.textContent = diff
      ? `green: ${columnTitle(pos)}'s model finds the token likelier than ${columnTitle(againstPos!)}'s; red: less likely (hover for Δ log p)`
      : `red: unlikely tokens under ${columnTitle(pos)}'s model (hover for log p; the prompt is scored as raw text)`;
  } catch (e) {
    el.heatLegend.textContent = '';
    showError(e instanceof HostError ? e.message : String(e));
  }
}

host.on('compare/state', (s: CompareState) => {
  models = s.models;
  sampling = s.sampling;
  if (!el.temperature.value) el.temperature.value = String(sampling.temperature);
  if (!el.maxTokens.value) el.maxTokens.value = String(sampling.maxTokens);
  for (const c of columns) {
    const select = c.root.querySelector<HTMLSelectElement>('.source')!;
    fillSources(select, select.value || null);
  }
  if (s.columns) {
    columns = [];
    el.columns.replaceChildren();
    for (const src of s.columns) addColumn(src);
    while (columns.length < 2) addColumn(null);
  }
  if (s.prompt) el.prompt.value = s.prompt;
  renderResults();
});
host.on('compare/status', (m) => {
  if (m.runId === runId) el.status.textContent = m.message;
});
host.on('compare/token', (m) => {
  if (m.runId !== runId) return;
  const r = results[m.prompt]?.[m.column];
  if (!r) return;
  r.text += m.text;
  el.status.textContent = '';
  if (m.prompt === shownPrompt) {
    const pos = order.indexOf(m.column);
    columns[pos]?.root.querySelector('.output')?.append(m.text);
  }
});
host.on('compare/done', (m) => {
  if (m.runId !== runId) return;
  const r = results[m.prompt]?.[m.column];
  if (r) r.stats = m.stats;
  if (m.prompt === shownPrompt) renderResults();
});
host.on('compare/error', (m) => {
  if (m.runId !== runId) return;
  const r = m.column === null ? undefined : results[m.prompt]?.[m.column];
  if (r) r.error = m.message;
  else showError(m.message);
  renderResults();
});
host.on('compare/finished', (m) => {
  if (m.runId !== runId) return;
  running = false;
  el.status.textContent = '';
  renderResults();
});

el.run.addEventListener('click', () => void run());
el.stop.addEventListener('click', () => runId && void host.request('compare/stop', { runId }));
el.addColumn.addEventListener('click', () => {
  addColumn(null);
  refreshControls();
});
el.heatButton.addEventListener('click', () => void showHeatmap());
el.shownPrompt.addEventListener('change', () => {
  shownPrompt = Number(el.shownPrompt.value);
  renderResults();
});
for (const x of [el.prompt, el.blind, el.mode, el.promptList]) x.addEventListener('change', persist);
el.prompt.addEventListener('input', persist);
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !running) void run();
  if (e.key === 'Escape' && running && runId) void host.request('compare/stop', { runId });
});

const saved = host.getState<{ prompt?: string; columns?: Array<CompareSource | null>; blind?: boolean; mode?: string; promptList?: boolean }>();
if (saved?.prompt) el.prompt.value = saved.prompt;
if (saved?.blind) el.blind.checked = true;
if (saved?.promptList) el.promptList.checked = true;
if (saved?.mode === 'chat' || saved?.mode === 'complete') el.mode.value = saved.mode;
for (const src of saved?.columns ?? [null, null]) addColumn(src);
refreshControls();
host.ready();
