/**
 * Evaluate webview: a model or variant (with an adapter at a scale) and one evaluation — perplexity on a file, glob
 * or the editor selection; preference accuracy on a pairs file or the preference store; win-rate against another
 * model with a local judge — run with progress and cancel; the figures, the report, and past runs per model with
 * lineage, each rerunnable. Ids: webview/README.md.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { EvalRunGroup, EvalRunSummary, EvalSpec, EvalTarget, EvaluateProtocol, EvaluateState } from '../../src/protocol/webviewEvaluate.js';
import type { PlaygroundModelOption } from '../../src/protocol/webviewPlayground.js';
import { HostChannel, HostError } from '../shared/hostChannel.js';
import { adoptCss, byId, h } from '../shared/dom.js';
import baseCss from '../shared/base.css';
import css from './evaluate.css';

adoptCss(baseCss);
adoptCss(css);

const host = new HostChannel<EvaluateProtocol>();
const OTHER = '__other__';

let models: PlaygroundModelOption[] = [];
let adapters: EvaluateState['adapters'] = [];
let selection: { name: string; text: string } | null = null;
let runId: string | null = null;
let lastRun: EvalRunSummary | null = null;

const select = (id: string, label: string, ...options: HTMLOptionElement[]) =>
  h('label', { for: id }, label, h('select', { id, 'data-testid': id }, ...options));
const opt = (value: string, text: string) => h('option', { value }, text);
const field = (id: string, label: string, attrs: Record<string, string | number> = {}) =>
  h('label', { for: id }, label, h('input', { id, 'data-testid': id, ...attrs }));
const pick = (id: string, title: string) => h('vscode-button', { id, 'data-testid': id, secondary: true, icon: 'folder-opened', title });

document.getElementById('app')!.append(
  h('h1', {}, 'Evaluate'),
  h('section', { class: 'row' },
    select('model', 'Model or variant'),
    select('adapter', 'LoRA adapter'),
    field('adapter-scale', 'Scale', { type: 'number', min: -4, max: 4, step: 0.1, value: 1 }),
    select('kind', 'Evaluation', opt('perplexity', 'Perplexity'), opt('preference-accuracy', 'Preference accuracy'), opt('win-rate', 'Win-rate (local judge)')),
  ),
  h('section', { id: 'perplexity-fields', class: 'row', 'data-kind': 'perplexity' },
    select('ppl-source', 'Text', opt('glob', 'File or glob'), opt('selection', 'Editor selection')),
    field('ppl-pattern', 'File or glob (relative to the workspace folder)', { placeholder: 'src/**/*.ts', size: 40 }),
    pick('pick-text', 'Choose a text file'),
    h('span', { id: 'selection-info', 'data-testid': 'selection-info', class: 'muted' }),
  ),
  h('section', { id: 'preference-fields', class: 'row', 'data-kind': 'preference-accuracy', hidden: true },
    select('pairs-source', 'Pairs', opt('file', 'TRL pairs file'), opt('store', 'This workspace\'s preference store')),
    field('pairs-path', 'Pairs file', { placeholder: 'pairs.jsonl', size: 40 }),
    pick('pick-pairs', 'Choose a pairs file'),
  ),
  h('section', { id: 'winrate-fields', class: 'row', 'data-kind': 'win-rate', hidden: true },
    select('against', 'Against'),
    select('judge', 'Judge'),
    field('prompts-path', 'Prompts file', { placeholder: 'prompts.txt', size: 30 }),
    pick('pick-prompts', 'Choose a prompts file'),
    field('max-tokens', 'Max tokens', { type: 'number', min: 1, max: 4096, step: 1, value: 64 }),
    field('rubric', 'Rubric (empty: the default)', { size: 40 }),
  ),
  h('section', { class: 'row actions' },
    h('vscode-button', { id: 'run', 'data-testid': 'run', icon: 'play' }, 'Run'),
    h('vscode-button', { id: 'cancel', 'data-testid': 'cancel', secondary: true, icon: 'debug-stop', disabled: true }, 'Cancel'),
    h('progress', { id: 'progress', 'data-testid': 'progress', max: 1, value: 0, hidden: true }),
    h('span', { id: 'status', 'data-testid': 'status', class: 'muted' }),
  ),
  h('div', { id: 'error', 'data-testid': 'error', class: 'error', role: 'alert', hidden: true }),
  h('section', { id: 'result', 'data-testid': 'result', class: 'result', hidden: true },
    h('p', { id: 'result-headline', 'data-testid': 'result-headline', class: 'big' }),
    h('vscode-button', { id: 'open-report', 'data-testid': 'open-report', icon: 'preview' }, 'Open report'),
  ),
  h('h2', {}, 'Past runs'),
  h('section', { id: 'history', 'data-testid': 'history' }),
);

const el = {
  model: byId<HTMLSelectElement>('model'),
  adapter: byId<HTMLSelectElement>('adapter'),
  scale: byId<HTMLInputElement>('adapter-scale'),
  kind: byId<HTMLSelectElement>('kind'),
  pplSource: byId<HTMLSelectElement>('ppl-source'),
  pplPattern: byId<HTMLInputElement>('ppl-pattern'),
  selectionInfo: byId('selection-info'),
  pairsSource: byId<HTMLSelectElement>('pairs-source'),
  pairsPath: byId<HTMLInputElement>('pairs-path'),
  against: byId<HTMLSelectElement>('against'),
  judge: byId<HTMLSelectElement>('judge'),
  promptsPath: byId<HTMLInputElement>('prompts-path'),
  maxTokens: byId<HTMLInputElement>('max-tokens'),
  rubric: byId<HTMLInputElement>('rubric'),
  run: byId('run'),
  cancel: byId('cancel'),
  progress: byId<HTMLProgressElement>('progress'),
  status: byId('status'),
  error: byId('error'),
  result: byId('result'),
  headline: byId('result-headline'),
  history: byId('history'),
};

function showError(message: string | null): void {
  el.error.hidden = !message;
  el.error.textContent = message ?? '';
}

function fillModels(s: HTMLSelectElement, keep: string | null): void {
  const value = keep ?? s.value;
  s.replaceChildren(...models.map((m) => h('option', { value: m.id, selected: m.id === value }, m.name)));
}

function fillAdapters(keep: string | null): void {
  const value = keep ?? el.adapter.value;
  const known = adapters.some((a) => a.path === value);
  el.adapter.replaceChildren(
    h('option', { value: '' }, '(none)'),
    ...adapters.map((a) => h('option', { value: a.path, selected: a.path === value }, a.name)),
    ...(value && value !== OTHER && !known ? [h('option', { value, selected: true }, value.split(/[\\/]/).pop() ?? value)] : []),
    h('option', { value: OTHER }, 'Other adapter file…'),
  );
  if (!value) el.adapter.value = '';
}

function syncKind(): void {
  for (const s of document.querySelectorAll<HTMLElement>('section[data-kind]')) s.hidden = s.dataset.kind !== el.kind.value;
  el.pplPattern.parentElement!.hidden = el.pplSource.value !== 'glob';
  byId('pick-text').hidden = el.pplSource.value !== 'glob';
  el.selectionInfo.textContent = el.pplSource.value === 'selection'
    ? (selection ? `${selection.name}: ${selection.text.length} characters` : 'No selection: select text in an editor, then run Evaluate from its Model Lab menu.')
    : '';
  el.pairsPath.parentElement!.hidden = el.pairsSource.value !== 'file';
  byId('pick-pairs').hidden = el.pairsSource.value !== 'file';
}

function target(modelId: string): EvalTarget {
  const adapterPath = modelId === el.model.value && el.adapter.value && el.adapter.value !== OTHER ? el.adapter.value : '';
  const scale = Number(el.scale.value);
  return { modelId, ...(adapterPath ? { adapterPath, adapterScale: Number.isFinite(scale) ? scale : 1 } : {}) };
}

function readSpec(): EvalSpec | string {
  if (!el.model.value) return 'Choose a model first.';
  const t = target(el.model.value);
  switch (el.kind.value) {
    case 'perplexity':
      if (el.pplSource.value === 'selection') {
        return selection ? { kind: 'perplexity', target: t, input: { from: 'text', name: selection.name, text: selection.text } } : 'There is no editor selection to measure.';
      }
      return el.pplPattern.value.trim() ? { kind: 'perplexity', target: t, input: { from: 'glob', pattern: el.pplPattern.value.trim() } } : 'Name a file or a glob.';
    case 'preference-accuracy':
      if (el.pairsSource.value === 'store') return { kind: 'preference-accuracy', target: t, pairs: { from: 'store' } };
      return el.pairsPath.value.trim() ? { kind: 'preference-accuracy', target: t, pairs: { from: 'file', path: el.pairsPath.value.trim() } } : 'Name a pairs file.';
    default: {
      if (!el.promptsPath.value.trim()) return 'Name a prompts file.';
      const maxTokens = Math.round(Number(el.maxTokens.value));
      if (!(maxTokens >= 1 && maxTokens <= 4096)) return 'Max tokens: a whole number from 1 to 4096.';
      return {
        kind: 'win-rate', target: t, against: { modelId: el.against.value }, judge: { modelId: el.judge.value },
        promptsFile: el.promptsPath.value.trim(), maxTokens, ...(el.rubric.value.trim() ? { rubric: el.rubric.value.trim() } : {}),
      };
    }
  }
}

function setRunning(id: string | null): void {
  runId = id;
  document.body.dataset.running = String(id !== null);
  el.run.toggleAttribute('disabled', id !== null);
  el.cancel.toggleAttribute('disabled', id === null);
  el.progress.hidden = id === null;
}

async function run(request: () => Promise<{ runId: string }>): Promise<void> {
  showError(null);
  el.result.hidden = true;
  el.progress.value = 0;
  try {
    setRunning((await request()).runId);
  } catch (e) {
    showError(e instanceof HostError ? e.message : String(e));
  }
}

function renderHistory(groups: EvalRunGroup[]): void {
  if (groups.length === 0) {
    el.history.replaceChildren(h('p', { class: 'muted' }, 'No evaluations yet in this workspace\'s data folder.'));
    return;
  }
  el.history.replaceChildren(...groups.map((g) => h('div', { class: 'group', 'data-testid': 'history-group', 'data-key': g.key },
    h('h3', {}, g.label),
    g.lineage.length ? h('p', { class: 'muted lineage', 'data-testid': 'lineage' }, g.lineage.join(' ← ')) : null,
    h('table', {}, h('tbody', {}, ...g.runs.map((r) => {
      const open = h('vscode-button', { secondary: true, icon: 'preview', 'data-testid': `open-report-${r.id}`, title: 'Open the report' }, 'Report');
      const again = h('vscode-button', { secondary: true, icon: 'debug-rerun', 'data-testid': `rerun-${r.id}`, disabled: !r.rerunnable, title: 'Run it again with the same inputs' }, 'Rerun');
      open.addEventListener('click', () => void openReport(r.id));
      again.addEventListener('click', () => void run(() => host.request('evaluate/rerun', { id: r.id })));
      return h('tr', { 'data-id': r.id, 'data-kind': r.kind },
        h('td', { class: 'muted' }, new Date(r.created).toLocaleString()), h('td', {}, r.headline), h('td', {}, open, again));
    }))),
  )));
}

async function openReport(id: string): Promise<void> {
  try {
    await host.request('evaluate/openReport', { id });
  } catch (e) {
    showError(e instanceof HostError ? e.message : String(e));
  }
}

host.on('evaluate/state', (s) => {
  models = s.models;
  adapters = s.adapters;
  if (s.selection) selection = s.selection;
  fillModels(el.model, s.target?.modelId ?? null);
  fillModels(el.against, null);
  fillModels(el.judge, null);
  fillAdapters(s.target ? (s.target.adapterPath ?? '') : null);
  if (s.target?.adapterScale !== undefined) el.scale.value = String(s.target.adapterScale);
  if (s.selection) {
    el.kind.value = 'perplexity';
    el.pplSource.value = 'selection';
  }
  el.run.toggleAttribute('disabled', runId !== null || !s.dataDirectory);
  if (!s.dataDirectory) showError('Open a folder first: evaluation results go to its data folder.');
  renderHistory(s.history);
  syncKind();
  document.body.dataset.ready = 'true';
});
host.on('evaluate/history', ({ history }) => renderHistory(history));
host.on('evaluate/started', (m) => {
  el.status.textContent = `Evaluating ${m.label}…`;
});
host.on('evaluate/progress', (p) => {
  if (p.runId !== runId) return;
  el.progress.value = p.total > 0 ? p.done / p.total : 0;
  el.status.textContent = `${p.what}: ${p.done} of ${p.total}`;
});
host.on('evaluate/done', ({ runId: id, run: r }) => {
  if (id !== runId) return;
  setRunning(null);
  lastRun = r;
  el.status.textContent = 'Done.';
  el.headline.textContent = r.headline;
  el.result.dataset.id = r.id;
  el.result.hidden = false;
});
host.on('evaluate/failed', (f) => {
  if (f.runId !== runId) return;
  setRunning(null);
  el.status.textContent = f.cancelled ? 'Cancelled.' : 'Failed.';
  if (!f.cancelled) showError(f.message);
});

const pickInto = (button: string, purpose: 'text' | 'pairs' | 'prompts', input: HTMLInputElement) =>
  byId(button).addEventListener('click', async () => {
    const r = await host.request('evaluate/pickFile', { purpose });
    if (r.path) input.value = r.path;
  });
pickInto('pick-text', 'text', el.pplPattern);
pickInto('pick-pairs', 'pairs', el.pairsPath);
pickInto('pick-prompts', 'prompts', el.promptsPath);
el.adapter.addEventListener('change', async () => {
  if (el.adapter.value !== OTHER) return;
  const r = await host.request('evaluate/pickFile', { purpose: 'adapter' });
  fillAdapters(r.path ?? '');
});
for (const s of [el.kind, el.pplSource, el.pairsSource]) s.addEventListener('change', syncKind);
el.run.addEventListener('click', () => {
  const spec = readSpec();
  if (typeof spec === 'string') return showError(spec);
  void run(() => host.request('evaluate/run', spec));
});
el.cancel.addEventListener('click', () => {
  if (runId) void host.request('evaluate/cancel', { runId });
});
byId('open-report').addEventListener('click', () => {
  if (lastRun) void openReport(lastRun.id);
});

setRunning(null);
host.ready();
