import type { PreferenceRecord } from '../../workspace/preferences/index.js';
import type { Event, TreeNodeData, TreeSource } from '../vscodeApi/HostApi.js';
import type { PreferenceDataset } from './PreferenceDataset.js';
import { DATASET_COMMANDS } from './datasetCommandIds.js';

export type DatasetNode = { type: 'stats'; text: string; tooltip: string } | { type: 'message'; text: string } | { type: 'record'; record: PreferenceRecord };

const firstLine = (s: string, max = 60): string => {
  const line = s.split('\n').map((l) => l.trim()).find((l) => l) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** A record's row: where it came from, and what the user said. */
export function recordNodeData(r: PreferenceRecord): TreeNodeData {
  const where = r.context?.file ? `${r.context.file.split(/[\\/]/).pop()}${r.context.range ? `:${r.context.range.start.line + 1}` : ''}` : (r.origin ?? r.kind);
  const when = r.createdAt.slice(0, 16).replace('T', ' ');
  if (r.kind === 'feedback') {
    return { id: `pref:${r.id}`, label: `${r.reward > 0 ? '👍' : '👎'} ${firstLine(r.response.text) || '(empty)'}`, description: `${where} · ${when}`, tooltip: r.response.text, icon: r.reward > 0 ? 'thumbsup' : 'thumbsdown', contextValue: 'preference.feedback', collapsible: false };
  }
  const best = r.allBad ? undefined : r.candidates.find((c) => c.id === r.ranking[0]?.[0]);
  const said = r.allBad ? 'all bad' : r.ranking[0]?.length > 1 ? 'tie' : best ? 'best' : r.ranking.length > 1 ? 'worst only' : r.gold ? 'gold' : 'unranked';
  const label = firstLine(r.gold?.text ?? best?.text ?? r.candidates[0]?.text ?? '') || '(empty)';
  const tooltip = [
    `${r.candidates.length} candidates · ${said}${r.gold ? ' · gold answer' : ''}${r.blind ? ' · blind' : ''}`,
    r.rationale ? `rationale: ${r.rationale}` : '',
    `${r.context?.file ?? r.origin ?? ''} · ${r.createdAt}`,
  ].filter(Boolean).join('\n');
  return {
    id: `pref:${r.id}`,
    label,
    description: `${said}${best?.model ? ` (${best.model})` : ''} · ${where} · ${when}`,
    tooltip,
    icon: r.allBad ? 'thumbsdown' : r.gold ? 'edit' : 'star-full',
    contextValue: 'preference.comparison',
    collapsible: false,
    command: { command: DATASET_COMMANDS.editRecord, arguments: [{ type: 'preference', id: r.id }] },
  };
}

/** The Preferences view: a stats row, then every current record (newest first) that matches the filter. */
export class DatasetTreeSource implements TreeSource<DatasetNode> {
  constructor(private readonly dataset: PreferenceDataset) {}

  async getChildren(parent: DatasetNode | undefined): Promise<DatasetNode[]> {
    if (parent) return [];
    let view;
    try {
      view = await this.dataset.view();
    } catch (e) {
      return [{ type: 'message', text: (e as Error).message }];
    }
    const s = view.stats;
    const models = Object.entries(s.perModel).map(([m, x]) => `${m}: best ${x.best} of ${x.candidates}`).join('\n');
    const days = Object.entries(s.perDay).slice(-7).map(([d, n]) => `${d}: ${n}`).join('\n');
    const stats: DatasetNode = {
      type: 'stats',
      text: `${s.records} records · ${s.pairs} pairs · ties ${(100 * s.tieRate).toFixed(0)}%${s.feedback.positive + s.feedback.negative ? ` · 👍${s.feedback.positive} 👎${s.feedback.negative}` : ''}${this.dataset.filter ? ` · filter "${this.dataset.filter}": ${view.records.length}` : ''}`,
      tooltip: [view.file, models && `per model:\n${models}`, days && `labels per day:\n${days}`, view.problems.length ? `${view.problems.length} unreadable line(s): see the Model Lab Runtime output` : ''].filter(Boolean).join('\n\n'),
    };
    return [stats, ...view.records.map((record) => ({ type: 'record' as const, record }))];
  }

  toData(node: DatasetNode): TreeNodeData {
    if (node.type === 'stats') return { id: 'pref:stats', label: node.text, tooltip: node.tooltip, icon: 'graph', contextValue: 'preference.stats', collapsible: false };
    if (node.type === 'message') return { id: 'pref:message', label: node.text, icon: 'info', contextValue: 'preference.message', collapsible: false };
    return recordNodeData(node.record);
  }

  readonly onDidChange: Event<void> = (l) => this.dataset.onDidChange(() => l());
}
