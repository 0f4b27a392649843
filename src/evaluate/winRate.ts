import { throwIfAborted } from '../engine/errors.js';
import type { StopReason } from '../protocol/runtime.js';
import { completionLogprob, withSession } from './completionLogprob.js';
import type { EvalModel, EvalProgress, EvalRuntime } from './EvalRuntime.js';

/** A model that answers prompts: chat through its template, or a raw continuation when it has none. */
export interface AnsweringModel extends EvalModel {
  mode: 'chat' | 'completion';
}

export interface Answer {
  text: string;
  tokens: number;
  stopReason: StopReason;
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
}

/** The judge's reading of one order: which position it prefers, and by how much (log-prob of its verdict). */
export interface JudgedOrder {
  /** whose answer stood first ("Response A") in this order */
  first: 'a' | 'b';
  /** log p(verdict "A") − log p(verdict "B") under the judge */
  margin: number;
  /** the model whose answer the judge preferred in this order */
  prefers: 'a' | 'b';
}

export interface WinRateItem {
  prompt: string;
  a: Answer;
  b: Answer;
  /** the same two answers judged in both orders */
  orders: [JudgedOrder, JudgedOrder];
  /** a or b when the judge preferred it in both orders; tie when the verdict followed the position */
  verdict: 'a' | 'b' | 'tie';
}

export interface WinRateResult {
  n: number;
  wins: number;
  losses: number;
  ties: number;
  /** (wins + ties / 2) / n: model A against model B */
  winRate: number;
  /** share of prompts where the judge picked the same position in both orders (0 = no position bias seen) */
  positionBiased: number;
  latency: Record<'a' | 'b', { meanTimeToFirstTokenMs: number; meanTokensPerSecond: number }>;
  items: WinRateItem[];
}

export const DEFAULT_RUBRIC = 'Judge which response answers the request better: correct, relevant and clear. Ignore length and which response comes first.';

/** The text the judge continues; its next word is the verdict "A" or "B". */
export function judgePrompt(rubric: string, prompt: string, first: string, second: string): string {
  return `${rubric}\n\nRequest:\n${prompt}\n\nResponse A:\n${first}\n\nResponse B:\n${second}\n\nThe better response is Response`;
}

async function answerAll(rt: EvalRuntime, model: AnsweringModel, prompts: string[], sampling: { maxTokens: number; temperature: number; seed?: number },
  signal: AbortSignal | undefined, progress: (i: number) => void, contextSize?: number): Promise<Answer[]> {
  const id = `answers-${model.modelId}-${Math.random().toString(36).slice(2, 8)}`;
  return withSession(rt, { id, modelId: model.modelId, lora: model.lora, contextSize }, signal, async (sessionId) => {
    const out: Answer[] = [];
    for (const [i, prompt] of prompts.entries()) {
      throwIfAborted(signal);
      progress(i);
      await rt.resetSession(sessionId);
      const r = await rt.generate({ sessionId, generationId: `${id}-${i}`, prompt, mode: model.mode, ...sampling }, undefined, signal);
      out.push({ text: r.text, tokens: r.tokens.length, stopReason: r.stopReason, timeToFirstTokenMs: r.timeToFirstTokenMs, tokensPerSecond: r.tokensPerSecond });
    }
    return out;
  });
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN;
}

/**
 * Pairwise win-rate of model A against model B on a prompt set, judged by a local model: each pair of answers is
 * judged twice, A's answer first and then B's first, and a side wins only when the judge prefers it in both orders;
 * a verdict that follows the position is a tie. The judge's verdict is read from its log-probabilities of " A" and
 * " B" after the rubric (no sampling, so a run is repeatable).
 */
export async function winRate(
  rt: EvalRuntime,
  opts: {
    a: AnsweringModel; b: AnsweringModel; judge: EvalModel; prompts: string[];
    maxTokens?: number; temperature?: number; seed?: number; rubric?: string; contextSize?: number;
    signal?: AbortSignal; onProgress?: EvalProgress;
  },
): Promise<WinRateResult> {
  const { prompts, signal } = opts;
  const total = prompts.length * 3;
  const sampling = { maxTokens: opts.maxTokens ?? 128, temperature: opts.temperature ?? 0, seed: opts.seed };
  const answersA = await answerAll(rt, opts.a, prompts, sampling, signal, (i) => opts.onProgress?.(i, total, `answers of ${opts.a.label}`), opts.contextSize);
  const answersB = await answerAll(rt, opts.b, prompts, sampling, signal, (i) => opts.onProgress?.(prompts.length + i, total, `answers of ${opts.b.label}`), opts.contextSize);
  const rubric = opts.rubric ?? DEFAULT_RUBRIC;
  const judgeId = `judge-${opts.judge.modelId}-${Math.random().toString(36).slice(2, 8)}`;
  const items = await withSession(rt, { id: judgeId, modelId: opts.judge.modelId, lora: opts.judge.lora, contextSize: opts.contextSize, scoring: true }, signal, async (sessionId) => {
    const target = { sessionId, modelId: opts.judge.modelId };
    const judgeOrder = async (prompt: string, first: 'a' | 'b', a: Answer, b: Answer): Promise<JudgedOrder> => {
      const [x, y] = first === 'a' ? [a, b] : [b, a];
      const text = judgePrompt(rubric, prompt, x.text, y.text);
      const sayA = await completionLogprob(rt, target, text, ' A', signal);
      const sayB = await completionLogprob(rt, target, text, ' B', signal);
      const margin = sayA.logprob - sayB.logprob;
      const prefersFirst = margin >= 0;
      return { first, margin, prefers: prefersFirst === (first === 'a') ? 'a' : 'b' };
    };
    const out: WinRateItem[] = [];
    for (const [i, prompt] of prompts.entries()) {
      throwIfAborted(signal);
      opts.onProgress?.(2 * prompts.length + i, total, `judging with ${opts.judge.label}`);
      const a = answersA[i]!;
      const b = answersB[i]!;
      const orders: [JudgedOrder, JudgedOrder] = [await judgeOrder(prompt, 'a', a, b), await judgeOrder(prompt, 'b', a, b)];
      const verdict = orders[0].prefers === orders[1].prefers ? orders[0].prefers : 'tie';
      out.push({ prompt, a, b, orders, verdict });
    }
    return out;
  });
  opts.onProgress?.(total, total, 'done');
  const wins = items.filter((x) => x.verdict === 'a').length;
  const losses = items.filter((x) => x.verdict === 'b').length;
  const ties = items.length - wins - losses;
  return {
    n: items.length, wins, losses, ties,
    winRate: items.length ? (wins + ties / 2) / items.length : NaN,
    positionBiased: items.length ? ties / items.length : NaN,
    latency: {
      a: { meanTimeToFirstTokenMs: mean(answersA.map((x) => x.timeToFirstTokenMs)), meanTokensPerSecond: mean(answersA.map((x) => x.tokensPerSecond)) },
      b: { meanTimeToFirstTokenMs: mean(answersB.map((x) => x.timeToFirstTokenMs)), meanTokensPerSecond: mean(answersB.map((x) => x.tokensPerSecond)) },
    },
    items,
  };
}
