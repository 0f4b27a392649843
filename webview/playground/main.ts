/** Playground webview: pick a model (+ adapter), chat or complete, stream, stop, copy/insert. Ids: webview/README.md. */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import type { ChatTurn, GenerationStats, PlaygroundModelOption, PlaygroundProtocol, PlaygroundState, SamplingSettings } from '../../src/protocol/webviewPlayground.js';
import { describeStopReason } from '../../src/protocol/stopReasons.js';
import { HostChannel, HostError } from '../shared/hostChannel.js';
import { adoptCss, byId, h } from '../shared/dom.js';
import baseCss from '../shared/base.css';
import css from './playground.css';

adoptCss(baseCss);
adoptCss(css);

const host = new HostChannel<PlaygroundProtocol>();

interface Saved {
  prompt: string;
  mode: 'chat' | 'complete';
  systemPrompt: string;
  sampling: Partial<SamplingSettings> & { seedText?: string };
  adapterPath: string | null;
  adapterScale: number;
  history: ChatTurn[];
  /** The user chose the mode themselves (else it follows the model: raw completion without a chat template). */
  modeChosen?: boolean;
}
const saved = host.getState<Saved>();

const num = (id: string, label: string, attrs: Record<string, string | number>) =>
  h('label', { for: id }, label, h('input', { id, 'data-testid': id, type: 'number', ...attrs }));

document.getElementById('app')!.append(
  h('header', { class: 'row toolbar' },
    h('label', { for: 'model-select' }, 'Model', h('select', { id: 'model-select', 'data-testid': 'model-select' })),
    h('label', { for: 'mode' }, 'Mode',
      h('select', { id: 'mode', 'data-testid': 'mode' }, h('option', { value: 'chat' }, 'Chat'), h('option', { value: 'complete' }, 'Raw completion'))),
    h('span', { id: 'mode-note', 'data-testid': 'mode-note', class: 'muted note', hidden: true }),
    h('label', { for: 'adapter-path' }, 'LoRA adapter',
      h('span', { class: 'row tight' },
        h('input', { id: 'adapter-path', 'data-testid': 'adapter-path', readonly: true, placeholder: 'none', size: 28 }),
        h('vscode-button', { id: 'pick-adapter', 'data-testid': 'pick-adapter', secondary: true, icon: 'folder-opened', title: 'Choose a LoRA adapter GGUF' }, 'Choose…'),
        h('vscode-button', { id: 'clear-adapter', 'data-testid': 'clear-adapter', secondary: true, icon: 'close', title: 'No adapter' }))),
    num('adapter-scale', 'Scale', { min: -4, max: 4, step: 0.1, value: 1 }),
  ),
  h('p', { id: 'context-note', 'data-testid': 'context-note', class: 'muted note', hidden: true }),
  h('vscode-collapsible', { id: 'settings', 'data-testid': 'settings', title: 'Sampling settings' },
    h('div', { class: 'row settings' },
      num('temperature', 'Temperature', { min: 0, max: 5, step: 0.05 }),
      num('top-p', 'Top-p', { min: 0, max: 1, step: 0.01 }),
      num('top-k', 'Top-k', { min: 0, max: 100000, step: 1 }),
      num('max-tokens', 'Max tokens', { min: 1, max: 32768, step: 1 }),
      h('label', { for: 'seed' }, 'Seed', h('input', { id: 'seed', 'data-testid': 'seed', type: 'number', min: 0, step: 1, placeholder: 'random' })),
    ),
    h('label', { for: 'system-prompt', id: 'system-prompt-field', class: 'block' }, 'System prompt', h('textarea', { id: 'system-prompt', 'data-testid': 'system-prompt', rows: 2 })),
  ),
  h('section', { id: 'transcript', 'data-testid': 'transcript', 'aria-live': 'polite' }),
  h('section', { class: 'compose' },
    h('textarea', { id: 'prompt', 'data-testid': 'prompt', rows: 5, placeholder: 'Type a message or a prompt… (Ctrl+Enter generates, Escape stops)' }),
    h('div', { class: 'row' },
      h('vscode-button', { id: 'generate', 'data-testid': 'generate', icon: 'play' }, 'Generate'),
      h('vscode-button', { id: 'stop', 'data-testid': 'stop', secondary: true, icon: 'debug-stop', disabled: true }, 'Stop'),
      h('vscode-button', { id: 'clear', 'data-testid': 'clear', secondary: true, icon: 'clear-all' }, 'Clear'),
      h('vscode-progress-ring', { id: 'busy', 'data-testid': 'busy', hidden: true }),
      h('span', { id: 'status', 'data-testid': 'status', class: 'muted' }),
    ),
  ),
  h('div', { id: 'error', 'data-testid': 'error', class: 'error', role: 'alert', hidden: true }),
  h('section', { class: 'result' },
    h('div', { class: 'row result-head' },
      h('h2', {}, 'Output'),
      h('span', { id: 'stats', 'data-testid': 'stats', class: 'muted' },
        'TTFT ', h('span', { id: 'ttft', 'data-testid': 'ttft' }, '–'),
        ' · ', h('span', { id: 'tps', 'data-testid': 'tps' }, '–'), ' tok/s',
        ' · ', h('span', { id: 'token-count', 'data-testid': 'token-count' }, '0'), ' tokens',
        ' · ', h('span', { id: 'stop-reason', 'data-testid': 'stop-reason' })),
      h('span', { class: 'spacer' }),
      h('vscode-button', { id: 'copy', 'data-testid': 'copy', secondary: true, icon: 'copy' }, 'Copy'),
      h('vscode-button', { id: 'insert', 'data-testid': 'insert', secondary: true, icon: 'insert' }, 'Insert into editor'),
    ),
    h('pre', { id: 'output', 'data-testid': 'output', tabindex: 0 }),
  ),
);

const modelSelect = byId<HTMLSelectElement>('model-select');
const modeSelect = byId<HTMLSelectElement>('mode');
const adapterPath = byId<HTMLInputElement>('adapter-path');
const adapterScale = byId<HTMLInputElement>('adapter-scale');
const promptEl = byId<HTMLTextAreaElement>('prompt');
const systemPrompt = byId<HTMLTextAreaElement>('system-prompt');
const output = byId<HTMLPreElement>('output');
const transcript = byId('transcript');
const errorEl = byId('error');
const statusEl = byId('status');
const busy = byId('busy');
const generateBtn = byId('generate');
const stopBtn = byId('stop');
const fields = {
  temperature: byId<HTMLInputElement>('temperature'),
  topP: byId<HTMLInputElement>('top-p'),
  topK: byId<HTMLInputElement>('top-k'),
  maxTokens: byId<HTMLInputElement>('max-tokens'),
  seed: byId<HTMLInputElement>('seed'),
};

let history: ChatTurn[] = saved?.history ?? [];
let currentJob: string | null = null;
let currentText = '';
let lastPrompt = '';
let stateReceived = false;
let models: PlaygroundModelOption[] = [];
let modeChosen = saved?.modeChosen ?? false;
/** The chat reply being streamed: its element in the transcript. */
let streamingTurn: HTMLElement | null = null;
let startedAt = 0;
let firstTokenAt: number | null = null;
let pieces = 0;

function setDisabled(el: HTMLElement, disabled: boolean) {
  if (disabled) el.setAttribute('disabled', '');
  else el.removeAttribute('disabled');
}

function save() {
  host.setState({
    prompt: promptEl.value,
    mode: modeSelect.value as Saved['mode'],
    systemPrompt: systemPrompt.value,
    sampling: readSampling(false) ?? {},
    adapterPath: adapterPath.value || null,
    adapterScale: Number(adapterScale.value) || 1,
    history,
    modeChosen,
  } satisfies Saved);
}

function showError(message: string | null) {
  errorEl.textContent = message ?? '';
  errorEl.hidden = !message;
}

const turnView = (t: ChatTurn) =>
  h('div', { class: `turn ${t.role}`, 'data-role': t.role }, h('div', { class: 'role' }, t.role === 'user' ? 'You' : t.role === 'assistant' ? 'Model' : 'System'), h('div', { class: 'text' }, t.text));

function renderTranscript() {
  transcript.replaceChildren(...history.map(turnView));
  if (streamingTurn) transcript.append(turnView({ role: 'user', text: lastPrompt }), streamingTurn);
  const chat = modeSelect.value === 'chat';
  transcript.hidden = !chat || (history.length === 0 && !streamingTurn);
  // one place per reply: chat replies live in the transcript, a raw completion in Output
  output.hidden = chat;
}

/** The mode note and the system prompt follow the mode and the selected model's chat template. */
function renderMode() {
  const m = models.find((x) => x.id === modelSelect.value);
  const note = byId('mode-note');
  const chat = modeSelect.value === 'chat';
  let text = '';
  if (m?.chatTemplate === false) {
    text = chat
      ? 'This model has no chat template: chat mode sends your turns in a generic chat format it was not trained on, so replies may be unrelated text. Raw completion continues your text.'
      : 'This model has no chat template, so it runs as raw completion: it continues your text.';
  }
  note.textContent = text;
  note.hidden = text === '';
  note.dataset.template = m?.chatTemplate === undefined || m.chatTemplate === null ? 'unknown' : String(m.chatTemplate);
  const ctx = byId('context-note');
  ctx.textContent = m?.contextNote ?? '';
  ctx.hidden = !m?.contextNote;
  byId('system-prompt-field').hidden = !chat;
  renderTranscript();
}

/** Unless the user chose a mode, a model without a chat template starts in raw completion, one with a template in chat. */
function followModel() {
  const m = models.find((x) => x.id === modelSelect.value);
  if (!modeChosen && m && m.chatTemplate !== null && m.chatTemplate !== undefined) modeSelect.value = m.chatTemplate ? 'chat' : 'complete';
  renderMode();
}

/** Reads and checks the sampling inputs; null (and an error shown) when one is out of range. */
function readSampling(report = true): SamplingSettings | null {
  const v = (el: HTMLInputElement) => Number(el.value);
  const s: SamplingSettings = { temperature: v(fields.temperature), topP: v(fields.topP), topK: Math.round(v(fields.topK)), maxTokens: Math.round(v(fields.maxTokens)) };
  if (fields.seed.value.trim() !== '') s.seed = Math.round(v(fields.seed));
  const bad =
    !(s.temperature >= 0 && s.temperature <= 5) ? 'Temperature must be between 0 and 5.'
    : !(s.topP >= 0 && s.topP <= 1) ? 'Top-p must be between 0 and 1.'
    : !(s.topK >= 0) ? 'Top-k must be 0 or more.'
    : !(s.maxTokens >= 1 && s.maxTokens <= 32768) ? 'Max tokens must be between 1 and 32768.'
    : s.seed !== undefined && !(s.seed >= 0 && s.seed < 2 ** 32) ? 'Seed must be a whole number from 0 to 4294967295.'
    : null;
  if (bad) {
    if (report) showError(bad);
    return null;
  }
  return s;
}

function setRunning(running: boolean) {
  setDisabled(generateBtn, running);
  setDisabled(stopBtn, !running);
  busy.hidden = !running;
  document.body.dataset.running = String(running);
}

function applyState(st: PlaygroundState) {
  models = st.models;
  const current = modelSelect.value;
  modelSelect.replaceChildren(...st.models.map((m) => h('option', { value: m.id, title: m.id }, m.name)));
  if (st.models.length === 0) modelSelect.append(h('option', { value: '' }, 'No models — add one in the Models view'));
  const want = st.models.some((m) => m.id === current) && stateReceived ? current : st.selectedModelId;
  if (want) modelSelect.value = want;
  if (!stateReceived) {
    const s = { ...st.sampling, ...(saved?.sampling ?? {}) };
    fields.temperature.value = String(s.temperature);
    fields.topP.value = String(s.topP);
    fields.topK.value = String(s.topK);
    fields.maxTokens.value = String(s.maxTokens);
    fields.seed.value = s.seed === undefined ? '' : String(s.seed);
  }
  if (st.adapterPath) {
    adapterPath.value = st.adapterPath;
    save();
  }
  if (st.prompt) {
    promptEl.value = st.prompt;
    save();
  }
  followModel();
  stateReceived = true;
  document.body.dataset.ready = 'true';
}

async function generate() {
  if (currentJob) return;
  showError(null);
  const sampling = readSampling();
  if (!sampling) return;
  const modelId = modelSelect.value;
  if (!modelId) {
    showError('Pick a model first (add one with "Model Lab: Add Model File…").');
    return;
  }
  const mode = modeSelect.value as 'chat' | 'complete';
  const prompt = promptEl.value;
  if (mode === 'chat' && prompt.trim() === '') {
    showError('Type a message first.');
    return;
  }
  currentText = '';
  output.textContent = '';
  lastPrompt = prompt;
  byId('ttft').textContent = '–';
  byId('tps').textContent = '–';
  byId('token-count').textContent = '0';
  byId('stop-reason').textContent = '';
  delete document.body.dataset.stopReason;
  startedAt = performance.now();
  firstTokenAt = null;
  pieces = 0;
  if (mode === 'chat') {
    streamingTurn = turnView({ role: 'assistant', text: '' });
    streamingTurn.classList.add('streaming');
    renderTranscript();
  }
  statusEl.textContent = 'Starting…';
  setRunning(true);
  try {
    const scale = Number(adapterScale.value);
    const { jobId } = await host.request('playground/generate', {
      modelId,
      mode,
      prompt,
      history: mode === 'chat' ? history : undefined,
      systemPrompt: mode === 'chat' && systemPrompt.value.trim() ? systemPrompt.value : undefined,
      adapterPath: adapterPath.value || undefined,
      adapterScale: adapterPath.value && Number.isFinite(scale) ? scale : undefined,
      sampling,
    });
    currentJob = jobId;
    document.body.dataset.job = jobId;
  } catch (e) {
    setRunning(false);
    streamingTurn = null;
    renderTranscript();
    statusEl.textContent = '';
    showError(e instanceof HostError ? e.message : String(e));
  }
}

function finish(stats: GenerationStats | null) {
  if (stats) {
    byId('ttft').textContent = stats.timeToFirstTokenMs === null ? '–' : `${Math.round(stats.timeToFirstTokenMs)} ms`;
    byId('tps').textContent = stats.tokensPerSecond === null ? '–' : stats.tokensPerSecond.toFixed(1);
    byId('token-count').textContent = String(stats.tokens);
    const why = describeStopReason(stats.stopReason, stats.tokens);
    statusEl.textContent = why;
    byId('stop-reason').textContent = why;
    document.body.dataset.stopReason = stats.stopReason;
    if (streamingTurn) {
      history = [...history, { role: 'user', text: lastPrompt }, { role: 'assistant', text: currentText }];
      promptEl.value = '';
    }
  }
  streamingTurn = null;
  renderTranscript();
  currentJob = null;
  setRunning(false);
  save();
}

host.on('playground/state', applyState);
host.on('playground/status', (p) => {
  if (p.jobId === currentJob || currentJob === null) statusEl.textContent = p.message;
});
host.on('playground/token', (p) => {
  if (currentJob !== null && p.jobId !== currentJob) return;
  if (currentText === '') statusEl.textContent = 'Generating…';
  currentText += p.text;
  output.textContent = currentText;
  const streamed = streamingTurn?.querySelector('.text');
  if (streamed) streamed.textContent = currentText;
  // live figures, from this page's clock (the host's measured ones replace them at the end)
  const now = performance.now();
  pieces++;
  firstTokenAt ??= now;
  byId('ttft').textContent = `${Math.round(firstTokenAt - startedAt)} ms`;
  if (pieces > 1 && now > firstTokenAt) byId('tps').textContent = (((pieces - 1) * 1000) / (now - firstTokenAt)).toFixed(1);
  byId('token-count').textContent = String(pieces);
});
host.on('playground/done', (p) => {
  if (currentJob === null || p.jobId === currentJob) finish(p.stats);
});
host.on('playground/error', (p) => {
  if (p.jobId !== null && currentJob !== null && p.jobId !== currentJob) return;
  showError(p.message);
  statusEl.textContent = '';
  currentJob = null;
  streamingTurn = null;
  renderTranscript();
  setRunning(false);
});

generateBtn.addEventListener('click', () => void generate());
stopBtn.addEventListener('click', () => {
  if (currentJob) void host.request('playground/stop', { jobId: currentJob }).catch(() => undefined);
});
byId('clear').addEventListener('click', () => {
  if (currentJob) return;
  history = [];
  output.textContent = '';
  currentText = '';
  renderTranscript();
  save();
});
byId('copy').addEventListener('click', () => void host.request('playground/copy', { text: currentText }).then(() => (statusEl.textContent = 'Copied.')));
byId('insert').addEventListener('click', () =>
  void host.request('playground/insert', { text: currentText }).then((r) => (statusEl.textContent = r.inserted ? 'Inserted into the editor.' : 'No editor is open to insert into.')),
);
byId('pick-adapter').addEventListener('click', () =>
  void host.request('playground/pickAdapter', {}).then((r) => {
    if (r.path) adapterPath.value = r.path;
    save();
  }),
);
byId('clear-adapter').addEventListener('click', () => {
  adapterPath.value = '';
  save();
});
modelSelect.addEventListener('change', () => {
  host.notify('playground/selectModel', { modelId: modelSelect.value });
  followModel();
});
modeSelect.addEventListener('change', () => {
  modeChosen = true;
  renderMode();
  save();
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && currentJob) void host.request('playground/stop', { jobId: currentJob }).catch(() => undefined);
});
promptEl.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    void generate();
  }
});
for (const el of [promptEl, systemPrompt, ...Object.values(fields), adapterScale]) el.addEventListener('change', save);

if (saved) {
  promptEl.value = saved.prompt ?? '';
  modeSelect.value = saved.mode ?? 'chat';
  systemPrompt.value = saved.systemPrompt ?? '';
  adapterPath.value = saved.adapterPath ?? '';
  adapterScale.value = String(saved.adapterScale ?? 1);
}
renderMode();
setRunning(false);
host.ready();
