/**
 * Label webview, keyboard first: 1..K best (T: tie, then 1..K adds to the best), Shift+1..K worst, B all bad,
 * E edit a candidate into a gold answer, R rationale, Enter save and next, U undo (the last key, then the last
 * saved record), S skip. For a full ranking, drag the chips of the ranking row into order: a drag changes the same
 * draft the keys do (and U undoes it), and the decision saved is the same tiered ranking. Ids: webview/README.md.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { LabelDecision, LabelProtocol, LabelState, LabelTaskView } from '../../src/protocol/webviewLabel.js';
import { HostChannel, HostError } from '../shared/hostChannel.js';
import { adoptCss, byId, h } from '../shared/dom.js';
import { diffWords } from './diffWords.js';
import { moveInTiers, partsFromRanking, partsFromTiers, rankingOf, rankingTiers, withoutInMiddle } from './ranking.js';
import baseCss from '../shared/base.css';
import css from './label.css';

adoptCss(baseCss);
adoptCss(css);

const host = new HostChannel<LabelProtocol>();

interface Draft {
  best: string[];
  /** tiers between best and worst, best first (drags make them; see ranking.ts) */
  middle: string[][];
  worst: string[];
  allBad: boolean;
  tieMode: boolean;
  /** Show every card as a word diff against the best candidate (or the first). */
  diff: boolean;
  rationale: string;
  gold: { text: string; fromCandidate: string | null } | null;
}
const emptyDraft = (): Draft => ({ best: [], middle: [], worst: [], allBad: false, tieMode: false, diff: false, rationale: '', gold: null });

const key = (k: string) => h('kbd', {}, k);
document.getElementById('app')!.append(
  h('header', { class: 'row toolbar' },
    h('h1', {}, 'Label'),
    h('span', { class: 'spacer' }),
    h('label', { for: 'blind', class: 'row tight' }, h('input', { id: 'blind', 'data-testid': 'blind', type: 'checkbox' }), 'Blind (names hidden, order shuffled)'),
    h('span', { id: 'counts', 'data-testid': 'counts', class: 'muted' }),
  ),
  h('div', { id: 'empty', 'data-testid': 'empty', class: 'muted' }, 'Select code in an editor and run "Model Lab: Generate Alternatives" (Ctrl+Alt+G): its candidates appear here.'),
  h('section', { id: 'task', 'data-testid': 'task', hidden: true },
    h('div', { id: 'prompt-file', 'data-testid': 'prompt-file', class: 'muted' }),
    h('pre', { id: 'prompt-preview', 'data-testid': 'prompt-preview' }),
    h('div', { id: 'candidates', 'data-testid': 'candidates' }),
    h('div', { id: 'ranking', 'data-testid': 'ranking', class: 'row tight', title: 'Drag a candidate to its place: best on the left, worst on the right' }),
    h('div', { id: 'flags', 'data-testid': 'flags', 'aria-live': 'polite' }),
    h('label', { for: 'gold', class: 'block', id: 'gold-label', hidden: true }, 'Gold answer (E; Escape or Ctrl+Enter when done)', h('textarea', { id: 'gold', 'data-testid': 'gold', rows: 6 })),
    h('label', { for: 'rationale', class: 'block', id: 'rationale-label', hidden: true }, 'Rationale (R; Escape or Ctrl+Enter when done)', h('textarea', { id: 'rationale', 'data-testid': 'rationale', rows: 3 })),
    h('div', { class: 'row', style: 'margin-top: 10px; align-items: center' },
      h('vscode-button', { id: 'save', 'data-testid': 'save', icon: 'check' }, 'Save and next'),
      h('vscode-button', { id: 'undo', 'data-testid': 'undo', secondary: true, icon: 'discard' }, 'Undo'),
      h('vscode-button', { id: 'skip', 'data-testid': 'skip', secondary: true, icon: 'debug-step-over' }, 'Skip'),
      h('vscode-button', { id: 'stop', 'data-testid': 'stop', secondary: true, icon: 'debug-stop' }, 'Stop'),
    ),
  ),
  h('div', { id: 'message', 'data-testid': 'message', class: 'muted', 'aria-live': 'polite' }),
  h('div', { id: 'error', 'data-testid': 'error', class: 'error', role: 'alert', hidden: true }),
  h('div', { class: 'keys muted' },
    key('1'), '…', key('K'), ' best · ', key('Shift'), '+', key('1'), '…', ' worst · ', key('T'), ' tie · ', key('B'), ' all bad · ',
    key('E'), ' edit gold · ', key('D'), ' diff · ', key('R'), ' rationale · ', key('Enter'), ' save and next · ', key('U'), ' undo · ', key('S'), ' skip'),
);

let state: LabelState | null = null;
let task: LabelTaskView | null = null;
let draft: Draft = emptyDraft();
let history: Draft[] = [];

const errorEl = byId('error');
const showError = (m: string | null) => {
  errorEl.textContent = m ?? '';
  errorEl.hidden = !m;
};
const goldEl = byId<HTMLTextAreaElement>('gold');
const rationaleEl = byId<HTMLTextAreaElement>('rationale');
const blindEl = byId<HTMLInputElement>('blind');

function change(f: (d: Draft) => void): void {
  history.push(structuredClone(draft));
  f(draft);
  showError(null);
  render();
}

function allDone(): boolean {
  return !!task && task.candidates.every((c) => c.done);
}

function render(): void {
  byId('empty').hidden = !!task;
  byId('task').hidden = !task;
  document.body.dataset.generating = String(!!task && !allDone());
  document.body.dataset.taskId = task?.taskId ?? '';
  document.body.classList.toggle('all-bad', draft.allBad);
  if (state) byId('counts').textContent = `${state.saved} saved${state.queued ? ` · ${state.queued} waiting` : ''}`;
  byId('message').textContent = state?.message ?? '';
  if (!task) return;
  byId('prompt-file').textContent = [task.file, task.language].filter(Boolean).join(' · ');
  byId('prompt-preview').textContent = task.promptPreview;
  const list = byId('candidates');
  list.replaceChildren(
    ...task.candidates.map((c, i) => {
      const best = draft.best.includes(c.id);
      const worst = draft.worst.includes(c.id);
      const middle = draft.middle.findIndex((t) => t.includes(c.id));
      const badge = best ? (draft.best.length > 1 ? 'tie best' : 'best') : worst ? 'worst' : middle >= 0 ? `rank ${middle + 2}` : '';
      const card = h('div', { class: `candidate${best ? ' best' : ''}${worst ? ' worst' : ''}${c.error && c.error !== 'stopped' ? ' failed' : ''}`, 'data-testid': `candidate-${i + 1}`, 'data-candidate': c.id, 'data-mark': badge || null },
        h('div', { class: 'head' }, h('span', { class: 'key' }, String(i + 1)), h('span', {}, c.label), badge ? h('span', { class: 'badge' }, badge) : null, c.done ? null : h('span', { class: 'muted' }, '…')),
        h('pre', { 'data-testid': `candidate-text-${i + 1}` }, ...candidateText(c)),
      );
      card.addEventListener('click', () => mark(i, false));
      return card;
    }),
  );
  renderRanking();
  const flags: string[] = [];
  if (draft.tieMode) flags.push('tie: 1…K adds to the best');
  if (draft.diff) flags.push('diff against the best');
  if (draft.allBad) flags.push('all bad');
  if (draft.gold) flags.push(`gold answer (${draft.gold.text.length} chars)`);
  if (draft.rationale.trim()) flags.push('rationale');
  byId('flags').replaceChildren(...flags.map((f) => h('span', { 'data-flag': f.split(' ')[0] }, f)));
  byId('save').toggleAttribute('disabled', !allDone());
  byId('stop').toggleAttribute('disabled', allDone());
  host.setState({ taskId: task.taskId, draft });
}

/** A card's text: plain, or (D) its word diff against the best candidate (the first when none is picked). */
function candidateText(c: LabelTaskView['candidates'][number]): Array<Node | string> {
  const failed = c.error && c.error !== 'stopped' ? `\n[${c.error}]` : '';
  const base = task?.candidates.find((x) => x.id === draft.best[0]) ?? task?.candidates[0];
  if (!draft.diff || !base || base.id === c.id || !allDone()) return [c.text + failed];
  return [...diffWords(base.text, c.text).map((r) => (r.op === 'same' ? r.text : h(r.op === 'add' ? 'ins' : 'del', {}, r.text))), failed];
}

/**
 * The ranking row: every candidate as a chip in ranking order (tied ones joined by '='), dragged to its place. A drop
 * is one change of the draft, as a key is.
 */
function renderRanking(): void {
  const row = byId('ranking');
  if (!task || draft.allBad) {
    row.replaceChildren();
    return;
  }
  const ids = task.candidates.map((c) => c.id);
  const chip = (id: string): HTMLElement => {
    const i = ids.indexOf(id);
    const el = h('span', { class: 'chip', draggable: 'true', 'data-testid': `rank-chip-${i + 1}`, 'data-candidate': id }, h('span', { class: 'key' }, String(i + 1)), ' ', task!.candidates[i]!.label);
    el.addEventListener('dragstart', (e) => {
      e.dataTransfer?.setData('text/plain', id);
      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
    });
    el.addEventListener('dragover', (e) => e.preventDefault());
    el.addEventListener('drop', (e) => {
      e.preventDefault();
      const moved = e.dataTransfer?.getData('text/plain');
      if (moved && ids.includes(moved)) dragTo(moved, id);
    });
    return el;
  };
  const tiers = rankingTiers(draft, ids);
  row.replaceChildren(h('span', { class: 'muted' }, 'Ranking (drag):'), ...tiers.flatMap((t, k) => [
    ...(k > 0 ? [h('span', { class: 'muted' }, '›')] : []),
    ...t.flatMap((id, j) => [...(j > 0 ? [h('span', { class: 'muted' }, '=')] : []), chip(id)]),
  ]));
}

/** A drag: `id` takes `target`'s place in the ranking; every candidate is then ranked (first best, last worst). */
function dragTo(id: string, target: string): void {
  if (!task || id === target) return;
  const ids = task.candidates.map((c) => c.id);
  change((d) => {
    Object.assign(d, partsFromTiers(moveInTiers(rankingTiers(d, ids), id, target)));
    d.allBad = false;
  });
}

function mark(index: number, worst: boolean): void {
  const c = task?.candidates[index];
  if (!c) return;
  change((d) => {
    d.allBad = false;
    d.middle = withoutInMiddle(d.middle, c.id);
    if (worst) {
      d.best = d.best.filter((x) => x !== c.id);
      d.worst = d.worst.includes(c.id) ? d.worst.filter((x) => x !== c.id) : [...d.worst, c.id];
    } else {
      d.worst = d.worst.filter((x) => x !== c.id);
      if (d.tieMode) d.best = d.best.includes(c.id) ? d.best.filter((x) => x !== c.id) : [...d.best, c.id];
      else d.best = d.best.length === 1 && d.best[0] === c.id ? [] : [c.id];
    }
  });
}

function decision(): LabelDecision | null {
  const gold = draft.gold && draft.gold.text.trim() ? draft.gold : null;
  if (!draft.allBad && draft.best.length === 0 && draft.middle.length === 0 && draft.worst.length === 0 && !gold) return null;
  const ranking = draft.allBad ? [[]] : rankingOf(draft);
  return { ranking, allBad: draft.allBad, rationale: draft.rationale, gold };
}

async function save(): Promise<void> {
  if (!task) return;
  if (!allDone()) return showError('The candidates are still coming; wait for them (or Stop) before saving.');
  const d = decision();
  if (!d) return showError('Say something first: a best (1…K), a worst (Shift+1…K), all bad (B) or a gold answer (E).');
  try {
    await host.request('label/save', { taskId: task.taskId, decision: d });
  } catch (e) {
    showError(e instanceof HostError ? e.message : String(e));
  }
}

async function undo(): Promise<void> {
  const prev = history.pop();
  if (prev) {
    draft = prev;
    render();
    return;
  }
  try {
    const { undone } = await host.request('label/undoSave', {});
    if (!undone) showError('Nothing to undo.');
  } catch (e) {
    showError(e instanceof HostError ? e.message : String(e));
  }
}

function openEditor(which: 'gold' | 'rationale'): void {
  if (!task) return;
  const el = which === 'gold' ? goldEl : rationaleEl;
  byId(`${which}-label`).hidden = false;
  if (which === 'gold' && !draft.gold) {
    const from = task.candidates.find((c) => c.id === draft.best[0]) ?? task.candidates[0];
    goldEl.value = from?.text ?? '';
    change((d) => (d.gold = { text: goldEl.value, fromCandidate: from?.id ?? null }));
  }
  el.focus();
}

function closeEditor(which: 'gold' | 'rationale'): void {
  const el = which === 'gold' ? goldEl : rationaleEl;
  change((d) => {
    if (which === 'gold') d.gold = el.value.trim() ? { text: el.value, fromCandidate: d.gold?.fromCandidate ?? null } : null;
    else d.rationale = el.value;
  });
  el.blur();
  (document.activeElement as HTMLElement | null)?.blur?.();
}

for (const which of ['gold', 'rationale'] as const) {
  const el = which === 'gold' ? goldEl : rationaleEl;
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) {
      e.preventDefault();
      e.stopPropagation();
      closeEditor(which);
    }
  });
}

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'INPUT')) return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  // e.code, not e.key: Shift+1 types "!" on most layouts.
  const digit = /^(?:Digit|Numpad)([1-9])$/.exec(e.code);
  if (digit) {
    e.preventDefault();
    mark(Number(digit[1]) - 1, e.shiftKey);
    return;
  }
  const k = e.key.toLowerCase();
  const actions: Record<string, () => void> = {
    t: () => change((d) => (d.tieMode = !d.tieMode)),
    d: () => change((d) => (d.diff = !d.diff)),
    b: () => change((d) => {
      d.allBad = !d.allBad;
      if (d.allBad) {
        d.best = [];
        d.middle = [];
        d.worst = [];
      }
    }),
    e: () => openEditor('gold'),
    r: () => openEditor('rationale'),
    enter: () => void save(),
    u: () => void undo(),
    s: () => task && void host.request('label/skip', { taskId: task.taskId }),
  };
  const a = actions[k];
  if (a) {
    e.preventDefault();
    a();
  }
});

byId('save').addEventListener('click', () => void save());
byId('undo').addEventListener('click', () => void undo());
byId('skip').addEventListener('click', () => task && void host.request('label/skip', { taskId: task.taskId }));
byId('stop').addEventListener('click', () => task && void host.request('label/stop', { taskId: task.taskId }));
blindEl.addEventListener('change', () => void host.request('label/setBlind', { blind: blindEl.checked }));

host.on('label/state', (s) => {
  state = s;
  const prevId = task?.taskId;
  task = s.task;
  blindEl.checked = s.blind;
  if (task?.taskId !== prevId) {
    const kept = host.getState<{ taskId: string; draft: Draft }>();
    const d = task?.decision;
    draft = kept && kept.taskId === task?.taskId ? { ...kept.draft, middle: kept.draft.middle ?? [] }
      : d ? { ...emptyDraft(), ...partsFromRanking(d.ranking), allBad: d.allBad, rationale: d.rationale, gold: d.gold }
      : emptyDraft();
    history = [];
    goldEl.value = draft.gold?.text ?? '';
    rationaleEl.value = draft.rationale;
    byId('gold-label').hidden = !draft.gold;
    byId('rationale-label').hidden = !draft.rationale;
    showError(null);
  }
  render();
  document.body.dataset.saved = String(s.saved);
  document.body.dataset.ready = 'true';
});
host.on('label/token', (p) => {
  const c = task?.taskId === p.taskId ? task.candidates.find((x) => x.id === p.candidateId) : undefined;
  if (!c) return;
  c.text += p.text;
  const i = task!.candidates.indexOf(c);
  const pre = document.querySelector(`[data-testid="candidate-text-${i + 1}"]`);
  if (pre) pre.textContent = c.text;
});
host.on('label/candidateDone', (p) => {
  const c = task?.taskId === p.taskId ? task.candidates.find((x) => x.id === p.candidateId) : undefined;
  if (!c) return;
  c.done = true;
  c.error = p.error;
  render();
});
host.ready();
