import type { PerplexityEvalResult } from './perplexityEval.js';
import type { PreferenceAccuracyResult } from './preferenceAccuracy.js';
import type { WinRateResult } from './winRate.js';

/** A model file as a report names it. */
export interface ReportedModel {
  label: string;
  file: string;
  lora?: { file: string; scale: number };
}

interface ReportBase {
  schemaVersion: 1;
  id: string;
  created: string;
  model: ReportedModel;
  seconds: number;
}

/** One evaluation run, as written to `<data>/evals/<id>/result.json`. */
export type EvalReport =
  | (ReportBase & { kind: 'perplexity'; inputs: string[]; contextSize?: number; result: PerplexityEvalResult })
  | (ReportBase & {
      kind: 'preference-accuracy';
      pairsFile: string;
      /** with the adapter (when the model has one), and for the same base without it */
      result: PreferenceAccuracyResult;
      withoutAdapter?: PreferenceAccuracyResult;
    })
  | (ReportBase & {
      kind: 'win-rate';
      promptsFile: string;
      against: ReportedModel;
      judge: ReportedModel;
      rubric: string;
      sampling: { maxTokens: number; temperature: number; seed?: number };
      result: WinRateResult;
    });

/** The one-line figures a command prints with --json. */
export function reportSummary(r: EvalReport): Record<string, unknown> {
  switch (r.kind) {
    case 'perplexity':
      return { ppl: r.result.ppl, tokens: r.result.tokens, files: r.result.files.map((f) => ({ name: f.name, ppl: f.ppl, tokens: f.tokens })) };
    case 'preference-accuracy':
      return {
        accuracy: r.result.accuracy, pairs: r.result.pairs, meanMargin: r.result.meanMargin,
        ...(r.withoutAdapter ? { accuracyWithoutAdapter: r.withoutAdapter.accuracy, meanMarginWithoutAdapter: r.withoutAdapter.meanMargin } : {}),
      };
    case 'win-rate':
      return {
        winRate: r.result.winRate, ties: r.result.ties, n: r.result.n, wins: r.result.wins, losses: r.result.losses,
        positionBiased: r.result.positionBiased, latency: r.result.latency,
      };
  }
}
