import type { PreferenceEvent, PreferenceRecord } from './schema.js';

/** A line the store could not use, with its 1-based line number in preferences.jsonl. */
export interface LineProblem {
  line: number;
  error: string;
}

export interface RecordState {
  record: PreferenceRecord;
  deleted: boolean;
  /** Line that created the record; line of its latest revision. */
  createdLine: number;
  revisedLine: number;
}

export interface FoldResult {
  /** Every record ever created, in creation order, with its current content and whether it is deleted. */
  states: RecordState[];
  problems: LineProblem[];
}

/**
 * Replays events in file order into the current data set. Events that contradict what came before (a second record
 * with an existing id, a revision or delete of an unknown id) are reported as problems of their line, never applied.
 */
export function foldEvents(events: Array<{ line: number; event: PreferenceEvent }>): FoldResult {
  const byId = new Map<string, RecordState>();
  const states: RecordState[] = [];
  const problems: LineProblem[] = [];
  for (const { line, event } of events) {
    switch (event.kind) {
      case 'comparison':
      case 'feedback': {
        if (byId.has(event.id)) {
          problems.push({ line, error: `record id "${event.id}" already exists (line ${byId.get(event.id)!.createdLine}); ignored` });
          break;
        }
        const s: RecordState = { record: event, deleted: false, createdLine: line, revisedLine: line };
        byId.set(event.id, s);
        states.push(s);
        break;
      }
      case 'revise':
      case 'delete':
      case 'restore': {
        const s = byId.get(event.target);
        if (!s) {
          problems.push({ line, error: `${event.kind} of unknown record "${event.target}"; ignored` });
          break;
        }
        if (event.kind === 'revise') {
          if (event.record.kind !== s.record.kind) {
            problems.push({ line, error: `revise changes record "${event.target}" from ${s.record.kind} to ${event.record.kind}; ignored` });
            break;
          }
          s.record = event.record;
          s.revisedLine = line;
        } else {
          s.deleted = event.kind === 'delete';
        }
        break;
      }
    }
  }
  return { states, problems };
}
