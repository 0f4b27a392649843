/** Inspect webview: model card, quant-mix chart, memory estimate, sortable/filterable tensor table. Ids: webview/README.md. */
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { InspectModel, InspectProtocol, InspectTensorRow, MemoryEstimate } from '../../src/protocol/webviewInspect.js';
import { formatBytes } from '../../src/protocol/formatBytes.js';
import { HostChannel, HostError } from '../shared/hostChannel.js';
import { adoptCss, byId, h, svg } from '../shared/dom.js';
import baseCss from '../shared/base.css';
import css from './inspect.css';

adoptCss(baseCss);
adoptCss(css);

const host = new HostChannel<InspectProtocol>();
const app = document.getElementById('app')!;
app.append(h('p', { id: 'loading', 'data-testid': 'loading', class: 'muted' }, 'Reading the model header…'));

const fmtInt = (n: number) => n.toLocaleString('en-US');
const fmtParams = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} K` : String(n));

/** Colours for the quant mix: theme chart colours first, so the chart follows the theme. */
const CHART = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow', '--vscode-charts-foreground'];
const colour = (i: number) => `var(${CHART[i % CHART.length]}, hsl(${(i * 67) % 360} 60% 55%))`;

function dl(rows: Array<[string, string | number | null | undefined]>, attrs: Record<string, string> = {}) {
  return h('dl', { class: 'facts', ...attrs }, ...rows.filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
}

function quantChart(m: InspectModel): HTMLElement {
  const W = 600;
  const H = 22;
  const bar = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', height: H, role: 'img', 'aria-label': 'Share of tensor bytes by type', preserveAspectRatio: 'none' });
  let x = 0;
  m.quantMix.forEach((q, i) => {
    const w = q.fraction * W;
    const rect = svg('rect', { x, y: 0, width: Math.max(w, 0.5), height: H, fill: colour(i) }, svg('title', {}, `${q.type}: ${(q.fraction * 100).toFixed(1)}%`));
    rect.setAttribute('data-type', q.type);
    bar.append(rect);
    x += w;
  });
  const legend = h('table', { id: 'quant-legend', 'data-testid': 'quant-legend', class: 'legend' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Type'), h('th', { class: 'num' }, 'Tensors'), h('th', { class: 'num' }, 'Bytes'), h('th', { class: 'num' }, 'Share'))),
    h('tbody', {}, ...m.quantMix.map((q, i) =>
      h('tr', { 'data-type': q.type },
        h('td', {}, h('span', { class: 'swatch', style: `background:${colour(i)}` }), q.type),
        h('td', { class: 'num' }, fmtInt(q.tensors)),
        h('td', { class: 'num' }, formatBytes(q.bytes)),
        h('td', { class: 'num' }, `${(q.fraction * 100).toFixed(1)}%`)))));
  return h('section', { id: 'quant-mix', 'data-testid': 'quant-mix' }, h('h2', {}, 'Quantization mix'), bar, legend);
}

function modelCard(m: InspectModel): HTMLElement {
  const s = m.spec;
  const ff = s ? (Array.isArray(s.nFf) ? (new Set(s.nFf).size === 1 ? String(s.nFf[0]) : `per layer: ${s.nFf.join(', ')}`) : String(s.nFf)) : null;
  return h('section', { id: 'model-card', 'data-testid': 'model-card' },
    h('h1', { id: 'model-name' }, m.name ?? m.fileName),
    h('p', { class: 'muted' }, `${m.fileName} · GGUF v${m.version} · ${formatBytes(m.fileBytes)} · `, h('span', { id: 'param-count', 'data-testid': 'param-count' }, `${fmtParams(m.parameters)} parameters`)),
    ...m.warnings.map((w) => h('div', { class: 'warning', 'data-testid': 'warning' }, w)),
    h('div', { class: 'card-grid' },
      h('div', {},
        h('h2', {}, 'Architecture'),
        dl([
          ['Architecture', m.architecture],
          ['Embedding', s?.nEmbd],
          ['Layers', s?.nLayer],
          ['Heads (KV)', s ? `${s.nHead} (${s.nHeadKv})` : null],
          ['Head dim', s?.headDim],
          ['FFN', ff],
          ['Context', s?.contextLength],
          ['RoPE', s ? `${s.ropeType}, base ${Number(s.ropeBase.toPrecision(6))}, ${s.ropeDims} dims` : null],
          ['Norm ε', s ? Number(s.normEps.toPrecision(4)) : null],
          ['Tied output', s ? (s.tiedOutput ? 'yes' : 'no') : null],
        ], { id: 'spec', 'data-testid': 'spec' }),
        m.specError ? h('p', { class: 'muted', id: 'spec-error' }, m.specError) : null),
      h('div', {},
        h('h2', {}, 'Tokenizer'),
        dl([
          ['Model', m.tokenizer.model],
          ['Vocabulary', m.tokenizer.tokens ?? s?.nVocab],
          ['BOS id', m.tokenizer.bos],
          ['EOS id', m.tokenizer.eos],
        ], { id: 'tokenizer', 'data-testid': 'tokenizer' }))),
    h('vscode-collapsible', { title: 'Chat template', id: 'chat-template-section', open: Boolean(m.chatTemplate) },
      h('pre', { id: 'chat-template', 'data-testid': 'chat-template' }, m.chatTemplate ?? '(none — raw completion only)')),
  );
}

/** Most GPU layers the estimate takes (blocks + the output layer, as llama.cpp counts them). */
let maxGpuLayers = 0;
const MAX_CONTEXT = 16_777_216;

function memorySection(m: InspectModel): HTMLElement {
  maxGpuLayers = m.offloadableLayers ?? (m.spec?.nLayer ?? Math.max(0, ...m.tensors.map((t) => (t.layer ?? -1) + 1))) + 1;
  const ctxDefault = m.defaultContextSize ?? Math.min(m.spec?.contextLength ?? 4096, 4096);
  const cell = (id: string) => h('td', { id, 'data-testid': id, class: 'num' }, '…');
  const section = h('section', { id: 'memory-estimate', 'data-testid': 'memory-estimate' },
    h('h2', {}, 'Memory estimate'),
    h('div', { class: 'row' },
      h('label', { for: 'context-size' }, 'Context (tokens)', h('input', { id: 'context-size', 'data-testid': 'context-size', type: 'number', min: 1, step: 256, value: ctxDefault })),
      h('label', { for: 'gpu-layers' }, `GPU layers (0–${maxGpuLayers})`, h('input', { id: 'gpu-layers', 'data-testid': 'gpu-layers', type: 'number', min: 0, max: maxGpuLayers, step: 1, value: 0 }))),
    m.contextNote ? h('p', { class: 'muted', id: 'context-note', 'data-testid': 'context-note' }, m.contextNote) : null,
    h('table', { class: 'memory' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { class: 'num' }, 'CPU (RAM)'), h('th', { class: 'num' }, 'GPU (VRAM)'))),
      h('tbody', {},
        h('tr', {}, h('td', {}, 'Weights'), cell('mem-weights-cpu'), cell('mem-weights-gpu')),
        h('tr', {}, h('td', {}, 'KV cache (F16)'), cell('mem-kv-cpu'), cell('mem-kv-gpu')),
        h('tr', { class: 'total' }, h('td', {}, 'Total'), cell('mem-total-cpu'), cell('mem-total-gpu')))),
    h('p', { class: 'muted', id: 'memory-note' }, `GPU layers count the ${maxGpuLayers - 1} transformer blocks and then the output layer, as llama.cpp's n_gpu_layers does: llama.cpp offloads the last blocks first; the output layer moves once every block is on the GPU. Compute buffers come on top.`),
    h('div', { id: 'memory-error', 'data-testid': 'memory-error', class: 'error', role: 'alert', hidden: true }));
  return section;
}

let estimateSeq = 0;
const MEMORY_CELLS = ['mem-weights-cpu', 'mem-weights-gpu', 'mem-kv-cpu', 'mem-kv-gpu', 'mem-total-cpu', 'mem-total-gpu'];

/** A whole number in [min, max] typed into `input`, or the message that says what is wrong with it. */
function readWhole(input: HTMLInputElement, what: string, min: number, max: number): number | string {
  const text = input.value.trim();
  const n = Number(text);
  if (text === '' || !Number.isInteger(n) || n < min || n > max) return `${what} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.`;
  return n;
}

/** Marks bad inputs and blanks the estimate, so no figure stays on screen for numbers it was not computed for. */
function showInputProblem(problems: Array<[HTMLInputElement, string | null]>): boolean {
  const messages = problems.filter(([, m]) => m !== null).map(([, m]) => m);
  for (const [input, m] of problems) input.setAttribute('aria-invalid', String(m !== null));
  const err = byId('memory-error');
  if (messages.length === 0) return false;
  err.textContent = messages.join(' ');
  err.hidden = false;
  for (const id of MEMORY_CELLS) {
    const el = byId(id);
    el.textContent = '—';
    delete el.dataset.bytes;
  }
  return true;
}

async function updateEstimate() {
  const ctxInput = byId<HTMLInputElement>('context-size');
  const layersInput = byId<HTMLInputElement>('gpu-layers');
  const ctx = readWhole(ctxInput, 'Context', 1, MAX_CONTEXT);
  const layers = readWhole(layersInput, 'GPU layers', 0, maxGpuLayers);
  const err = byId('memory-error');
  ++estimateSeq; // an answer still on its way is for numbers no longer shown
  if (showInputProblem([[ctxInput, typeof ctx === 'string' ? ctx : null], [layersInput, typeof layers === 'string' ? layers : null]])) return;
  if (typeof ctx !== 'number' || typeof layers !== 'number') return;
  const seq = ++estimateSeq;
  try {
    const e: MemoryEstimate = await host.request('inspect/estimate', { contextSize: ctx, gpuLayers: layers });
    document.body.dataset.estimated = `${ctx}:${layers}`;
    if (seq !== estimateSeq) return;
    err.hidden = true;
    const set = (id: string, n: number) => {
      const el = byId(id);
      el.textContent = formatBytes(n);
      el.dataset.bytes = String(n);
    };
    set('mem-weights-cpu', e.weights.cpuBytes);
    set('mem-weights-gpu', e.weights.gpuBytes);
    set('mem-kv-cpu', e.kvCache.cpuBytes);
    set('mem-kv-gpu', e.kvCache.gpuBytes);
    set('mem-total-cpu', e.totalCpuBytes);
    set('mem-total-gpu', e.totalGpuBytes);
  } catch (e) {
    err.textContent = e instanceof HostError ? e.message : String(e);
    err.hidden = false;
  }
}

type SortKey = 'name' | 'type' | 'shape' | 'elements' | 'bytes' | 'offset' | 'layer';
const COLUMNS: Array<{ key: SortKey; label: string; num: boolean }> = [
  { key: 'name', label: 'Name', num: false },
  { key: 'type', label: 'Type', num: false },
  { key: 'shape', label: 'Shape (ne)', num: false },
  { key: 'elements', label: 'Elements', num: true },
  { key: 'bytes', label: 'Bytes', num: true },
  { key: 'offset', label: 'Offset', num: true },
  { key: 'layer', label: 'Layer', num: true },
];

function tensorSection(m: InspectModel): HTMLElement {
  let sortKey: SortKey = 'offset';
  let asc = true;
  const filter = h('input', { id: 'tensor-filter', 'data-testid': 'tensor-filter', type: 'search', placeholder: 'Filter by name or type (e.g. ffn_down, Q4_K, blk.3.)', size: 48 });
  const count = h('span', { id: 'tensor-count', 'data-testid': 'tensor-count', class: 'muted' });
  const headRow = h('tr', {});
  const tbody = h('tbody', {});
  const table = h('table', { id: 'tensor-table', 'data-testid': 'tensor-table' }, h('thead', {}, headRow), tbody);

  const value = (t: InspectTensorRow, k: SortKey): string | number => (k === 'shape' ? t.shape.reduce((a, b) => a * b, 1) : k === 'layer' ? (t.layer ?? -1) : t[k]);
  const render = () => {
    const q = filter.value.trim().toLowerCase();
    const rows = m.tensors.filter((t) => !q || t.name.toLowerCase().includes(q) || t.type.toLowerCase() === q);
    rows.sort((a, b) => {
      const va = value(a, sortKey);
      const vb = value(b, sortKey);
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), 'en', { numeric: true });
      return asc ? c : -c;
    });
    tbody.replaceChildren(...rows.map((t) =>
      h('tr', { 'data-name': t.name },
        h('td', { class: 'mono' }, t.name),
        h('td', {}, t.type),
        h('td', { class: 'mono' }, `[${t.shape.join(', ')}]`),
        h('td', { class: 'num' }, fmtInt(t.elements)),
        h('td', { class: 'num', title: `${fmtInt(t.bytes)} bytes` }, formatBytes(t.bytes)),
        h('td', { class: 'num mono' }, fmtInt(t.offset)),
        h('td', { class: 'num' }, t.layer === null ? '' : String(t.layer)))));
    count.textContent = `${rows.length} of ${m.tensors.length} tensors`;
    for (const th of headRow.children) {
      const k = (th as HTMLElement).dataset.sort;
      th.setAttribute('aria-sort', k === sortKey ? (asc ? 'ascending' : 'descending') : 'none');
    }
  };
  for (const c of COLUMNS) {
    const th = h('th', { 'data-sort': c.key, class: c.num ? 'num sortable' : 'sortable', tabindex: 0, role: 'columnheader', title: 'Sort' }, c.label);
    const activate = () => {
      if (sortKey === c.key) asc = !asc;
      else {
        sortKey = c.key;
        asc = !c.num || c.key === 'offset' || c.key === 'layer';
      }
      render();
    };
    th.addEventListener('click', activate);
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        activate();
      }
    });
    headRow.append(th);
  }
  filter.addEventListener('input', render);
  render();
  return h('section', { id: 'tensors', 'data-testid': 'tensors' }, h('h2', {}, 'Tensors'), h('div', { class: 'row' }, filter, count), h('div', { class: 'table-wrap' }, table));
}

function metadataSection(m: InspectModel): HTMLElement {
  return h('vscode-collapsible', { title: `Metadata (${m.metadata.length} keys)`, id: 'metadata-section' },
    h('table', { id: 'metadata', 'data-testid': 'metadata' },
      h('tbody', {}, ...m.metadata.map((e) => h('tr', {}, h('td', { class: 'mono key' }, e.key), h('td', { class: 'mono' }, e.value))))));
}

host.on('inspect/model', (m) => {
  app.replaceChildren(modelCard(m), quantChart(m), memorySection(m), tensorSection(m), metadataSection(m));
  byId('context-size').addEventListener('input', () => void updateEstimate());
  byId('gpu-layers').addEventListener('input', () => void updateEstimate());
  void updateEstimate();
  document.body.dataset.ready = 'true';
});

host.on('inspect/error', (e) => {
  app.replaceChildren(
    h('h1', {}, 'This file cannot be inspected'),
    h('div', { id: 'error', 'data-testid': 'error', class: 'error', role: 'alert', 'data-code': e.code }, e.message),
  );
  document.body.dataset.ready = 'true';
});

host.ready();
