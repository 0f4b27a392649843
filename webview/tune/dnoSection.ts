/**
 * The Tune panel's "DNO iterations" mode: K samples per prompt from the model with the current adapter, ranked by
 * the user in the Label panel or by a judge model, pairs by DNO's rules, one tune job per iteration; the history
 * table (iteration, pairs, metric, variant) marks the best iterate, and each row opens Compare on it and the one
 * before. Ids: webview/README.md.
 */
import type { TuneDnoView, TuneModelOption, TunePairsSource, TuneProtocol } from '../../src/protocol/webviewTune.js';
import { HostError, type HostChannel } from '../shared/hostChannel.js';
import { byId, h } from '../shared/dom.js';

export interface DnoSection {
  /** The models a judge can be picked from. */
  setModels(models: TuneModelOption[]): void;
  show(on: boolean): void;
}

export function mountDno(host: HostChannel<TuneProtocol>, parent: HTMLElement, o: {
  model: () => string;
  prompts: () => TunePairsSource | null;
  showError: (message: string | null) => void;
}): DnoSection {
  let view: TuneDnoView | null = null;
  const num = (id: string, label: string, value: number, min: number, max: number) =>
    h('label', { for: id }, label, h('input', { id, 'data-testid': id, type: 'number', min, max, step: 1, value }));
  const section = h('section', { id: 'dno', 'data-testid': 'dno', hidden: true },
    h('p', { class: 'muted' }, 'Each iteration samples answers from the model with the latest adapter, has them ranked, trains on the pairs DNO\'s rules make (with the previous iterate as the reference) and measures the new iterate; the best one is kept. Prompts come from the pairs source above.'),
    h('section', { class: 'row' },
      num('dno-samples', 'Samples per prompt (K)', 4, 2, 16),
      num('dno-iterations', 'Iterations', 2, 1, 20),
      h('label', { for: 'dno-oracle' }, 'Ranked by', h('select', { id: 'dno-oracle', 'data-testid': 'dno-oracle' },
        h('option', { value: 'me' }, 'Me (in the Label panel)'), h('option', { value: 'judge' }, 'A judge model'))),
      h('label', { for: 'dno-judge' }, 'Judge model', h('select', { id: 'dno-judge', 'data-testid': 'dno-judge' })),
    ),
    h('section', { class: 'row actions' },
      h('vscode-button', { id: 'dno-start', 'data-testid': 'dno-start', icon: 'play' }, 'Start DNO'),
      h('vscode-button', { id: 'dno-cancel', 'data-testid': 'dno-cancel', secondary: true, icon: 'debug-stop', disabled: true }, 'Cancel'),
      h('progress', { id: 'dno-progress', 'data-testid': 'dno-progress', max: 1, value: 0 }),
      h('span', { id: 'dno-status', 'data-testid': 'dno-status', class: 'muted' }),
    ),
    h('table', { id: 'dno-history', 'data-testid': 'dno-history', class: 'presets' }),
  );
  parent.append(section);
  const oracle = byId<HTMLSelectElement>('dno-oracle'), judge = byId<HTMLSelectElement>('dno-judge');
  const judgeRow = (): void => { judge.parentElement!.hidden = oracle.value !== 'judge'; };
  oracle.addEventListener('change', judgeRow);
  judgeRow();

  const fmt = (x: number | null): string => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(3));
  function render(): void {
    const v = view;
    const running = v?.state === 'running';
    (byId('dno-start') as HTMLElement & { disabled: boolean }).disabled = running;
    (byId('dno-cancel') as HTMLElement & { disabled: boolean }).disabled = !running;
    byId<HTMLProgressElement>('dno-progress').value = v?.fraction ?? 0;
    if (!v) return;
    const where = v.state === 'running' ? `iteration ${v.iteration}/${v.iterations}${v.phase ? `, ${v.phase}` : ''}` : v.state;
    byId('dno-status').textContent = [`DNO: ${where}`, v.oracle ? `oracle ${v.oracle}` : '', v.message ?? '', v.stopped ?? ''].filter(Boolean).join(' · ');
    byId('dno-history').replaceChildren(
      h('tr', {}, h('th', {}, 'Iteration'), h('th', {}, 'Pairs'), h('th', {}, 'Metric'), h('th', {}, 'Held-out accuracy'), h('th', {}, 'Variant'), h('th', {}, '')),
      ...(v.baseline !== null ? [h('tr', { 'data-iteration': '0' }, h('td', {}, 'base'), h('td', {}, '–'), h('td', {}, fmt(v.baseline)), h('td', {}, '–'), h('td', {}, '–'), h('td', {}))] : []),
      ...v.rows.map((r) => h('tr', { 'data-iteration': String(r.iteration), class: r.best ? 'selected' : undefined },
        h('td', {}, `${r.iteration}${r.best ? ' ★ best' : ''}`),
        h('td', {}, `${r.pairs}${r.replayed ? ` + ${r.replayed} replayed` : ''}`),
        h('td', {}, fmt(r.metric)),
        h('td', {}, fmt(r.heldOutAccuracy)),
        h('td', {}, r.variantId ?? '–'),
        h('td', {}, h('vscode-button', { 'data-testid': `dno-compare-${r.iteration}`, secondary: true, icon: 'split-horizontal', 'data-compare': String(r.iteration) }, 'Compare with previous')))),
    );
  }

  host.on('tune/dno', (v) => {
    view = v;
    render();
  });
  byId('dno-start').addEventListener('click', async () => {
    const prompts = o.prompts();
    if (!o.model() || !prompts) return o.showError('Pick a model and where the prompts come from first.');
    if (oracle.value === 'judge' && !judge.value) return o.showError('Pick a judge model.');
    o.showError(null);
    const samples = Number(byId<HTMLInputElement>('dno-samples').value), iterations = Number(byId<HTMLInputElement>('dno-iterations').value);
    try {
      await host.request('tune/dnoStart', {
        modelId: o.model(), prompts, samples, iterations, oracle: oracle.value === 'judge' ? { kind: 'judge', modelId: judge.value } : { kind: 'me' },
      });
    } catch (e) {
      o.showError(e instanceof HostError ? e.message : String(e));
    }
  });
  byId('dno-cancel').addEventListener('click', () => view && void host.request('tune/dnoCancel', { runDir: view.runDir }));
  byId('dno-history').addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest('[data-compare]');
    if (!b || !view) return;
    void host.request('tune/dnoCompare', { runDir: view.runDir, iteration: Number(b.getAttribute('data-compare')) })
      .catch((e) => o.showError(e instanceof HostError ? e.message : String(e)));
  });
  return {
    setModels(models) {
      const keep = judge.value;
      judge.replaceChildren(...models.map((m) => h('option', { value: m.id, selected: m.id === keep }, m.name)));
    },
    show(on) {
      section.hidden = !on;
    },
  };
}
