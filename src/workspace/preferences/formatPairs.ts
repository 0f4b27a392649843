/**
 * Writes derived pairs in the formats trainers and tools read:
 * - `trl`: TRL preference JSONL, exactly `prompt`/`chosen`/`rejected` (plus an imported row's own extra keys);
 *   tie pairs are left out (TRL has no tie format).
 * - `hf`: JSONL for the Hugging Face `datasets` loader: the TRL columns plus provenance columns, the same keys on
 *   every row (null when unknown) so the loader infers one schema.
 * - `csv`: the `hf` columns as RFC 4180 CSV with a header row; message lists are written as JSON text.
 */
import { csvRow } from './csv.js';
import type { PreferencePair } from './derivePairs.js';
import { autoShape, pairToTrlRow, type TrlShape } from './trlFormat.js';

export type ExportFormat = 'trl' | 'hf' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['trl', 'hf', 'csv'];

export interface FormatOptions {
  format: ExportFormat;
  /** auto (default): conversational when every prompt has chat messages, else standard. */
  shape?: TrlShape | 'auto';
}

export interface FormattedPairs {
  text: string;
  rows: number;
  shape: TrlShape;
  /** Pairs that cannot be written in this shape (no prompt text for standard, no messages for conversational). */
  unrepresentable: number;
  /** Tie pairs left out of TRL output. */
  tiesLeftOut: number;
}

const HF_COLUMNS = ['prompt', 'chosen', 'rejected', 'tie', 'source', 'record_id', 'chosen_model', 'rejected_model', 'language', 'file', 'created_at'] as const;

export function formatPairs(pairs: readonly PreferencePair[], opts: FormatOptions): FormattedPairs {
  const shape = !opts.shape || opts.shape === 'auto' ? autoShape(pairs) : opts.shape;
  const out: string[] = [];
  let unrepresentable = 0;
  let tiesLeftOut = 0;
  if (opts.format === 'csv') out.push(csvRow(HF_COLUMNS));
  for (const p of pairs) {
    if (opts.format === 'trl' && p.tie) {
      tiesLeftOut++;
      continue;
    }
    const row = pairToTrlRow(p, shape);
    if (!row) {
      unrepresentable++;
      continue;
    }
    if (opts.format === 'trl') {
      out.push(JSON.stringify(row) + '\n');
      continue;
    }
    const hf: Record<(typeof HF_COLUMNS)[number], unknown> = {
      prompt: row.prompt,
      chosen: row.chosen,
      rejected: row.rejected,
      tie: p.tie,
      source: p.source,
      record_id: p.recordId,
      chosen_model: p.chosen.model ?? null,
      rejected_model: p.rejected.model ?? null,
      language: p.context?.language ?? null,
      file: p.context?.file ?? null,
      created_at: p.createdAt,
    };
    out.push(opts.format === 'hf' ? JSON.stringify(hf) + '\n' : csvRow(HF_COLUMNS.map((c) => hf[c])));
  }
  const rows = out.length - (opts.format === 'csv' ? 1 : 0);
  return { text: out.join(''), rows, shape, unrepresentable, tiesLeftOut };
}
