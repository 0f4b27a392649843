import { throwIfAborted } from '../../engine/errors.js';
import { completionLogprob, withSession } from '../../evaluate/completionLogprob.js';
import type { EvalModel, EvalRuntime } from '../../evaluate/EvalRuntime.js';
import type { DnoOracle } from './DnoOracle.js';

export const DEFAULT_SCORE_RUBRIC = 'Rate how well the response answers the request: correct, relevant and clear. 1 is useless, 6 is excellent.';
/** The rubric's scores; the judge's next word after the rubric text is one of them. */
export const JUDGE_SCORES = [1, 2, 3, 4, 5, 6];

/** The text the judge continues; its next word is the score. */
export function scorePrompt(rubric: string, prompt: string, response: string): string {
  return `${rubric}\n\nRequest:\n${prompt}\n\nResponse:\n${response}\n\nScore (1 to 6):`;
}

/**
 * log p(" s" | text) for each rubric score s. One scoring pass reads the judge's 20 likeliest next tokens; a score
 * whose text is one token among them is read there (the same full-vocabulary log-probability a scoring pass gives),
 * and any other is scored on its own (a score that is not one token, or an unlikely one).
 */
async function scoreLogprobs(rt: EvalRuntime, target: { sessionId: string; modelId: string }, text: string, signal?: AbortSignal): Promise<number[]> {
  const base = (await rt.tokenize({ modelId: target.modelId, text, addBos: true })).tokens;
  const r = await rt.logprobs({ sessionId: target.sessionId, text, top: 20 }, signal);
  const next = r.top?.[r.tokens.length - 1] ?? [];
  const out: number[] = [];
  for (const s of JUDGE_SCORES) {
    const t = (await rt.tokenize({ modelId: target.modelId, text: `${text} ${s}`, addBos: true })).tokens;
    const one = t.length === base.length + 1 && base.every((id, i) => t[i] === id) ? t[base.length] : undefined;
    const hit = one === undefined ? undefined : next.find((e) => e.token === one);
    out.push(hit ? hit.logprob : (await completionLogprob(rt, target, text, ` ${s}`, signal)).logprob);
  }
  return out;
}

/**
 * A local judge model as the oracle: each candidate is shown with the rubric and its score is the judge's expected
 * score, Σ s·p(s) over the rubric's scores with p renormalised over them, read from llama.cpp's log-probabilities of
 * " 1" … " 6" — nothing is sampled, so the same candidates always get the same scores. The judge is loaded by the
 * caller and named by its runtime id.
 */
export function judgeModelOracle(rt: EvalRuntime, judge: EvalModel, opts: { rubric?: string; contextSize?: number } = {}): DnoOracle {
  const rubric = opts.rubric ?? DEFAULT_SCORE_RUBRIC;
  return {
    name: `judge ${judge.label}`,
    range: { min: JUDGE_SCORES[0]!, max: JUDGE_SCORES[JUDGE_SCORES.length - 1]! },
    async score(prompt, candidates, signal) {
      const id = `dno-judge-${judge.modelId}-${Math.random().toString(36).slice(2, 8)}`;
      return withSession(rt, { id, modelId: judge.modelId, lora: judge.lora, contextSize: opts.contextSize, scoring: true }, signal, async (sessionId) => {
        const out: number[] = [];
        for (const c of candidates) {
          throwIfAborted(signal);
          const text = scorePrompt(rubric, prompt, c);
          const lps = await scoreLogprobs(rt, { sessionId, modelId: judge.modelId }, text, signal);
          const top = Math.max(...lps);
          const w = lps.map((l) => Math.exp(l - top));
          const sum = w.reduce((a, b) => a + b, 0);
          out.push(JUDGE_SCORES.reduce((acc, s, i) => acc + (s * w[i]!) / sum, 0));
        }
        return out;
      });
    },
  };
}
