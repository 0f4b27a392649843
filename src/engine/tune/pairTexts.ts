import { Template } from '@huggingface/jinja';
import type { ChatMessage, TrlPair } from './readTrlPairs.js';
import { TOKENIZER } from '../gguf/metadataKeys.js';
import { TuneError } from './TuneError.js';

/** A pair as plain text: the prompt and the two full completions that follow it. */
export interface PairTexts {
  prompt: string;
  chosen: string;
  rejected: string;
  /**
   * The text is a chat template's rendering: its markers (`<|user|>`, `<|end|>`, …) are to be read as the special
   * tokens they are, as llama.cpp reads a rendered chat, when tokenizing and when scoring. Absent for plain pairs.
   */
  parseSpecial?: boolean;
}

/** How conversational pairs become text: the model's own chat template (Jinja, from tokenizer.chat_template). */
export interface ChatFormat {
  template?: string;
  /** Special-token texts the template may print; BOS is left out (the tokenizer adds it). */
  eosToken?: string;
}

/** The chat format a model's GGUF metadata gives: its template and the EOS token's text (what training renders). */
export function chatFormatOf(metadata: Record<string, unknown>): ChatFormat {
  const template = metadata[TOKENIZER.chatTemplate];
  if (typeof template !== 'string') return {};
  const tokens = metadata[TOKENIZER.tokens];
  const eosId = metadata[TOKENIZER.eosId];
  const eosToken = Array.isArray(tokens) && typeof eosId === 'number' && typeof tokens[eosId] === 'string' ? tokens[eosId] as string : undefined;
  return { template, ...(eosToken !== undefined ? { eosToken } : {}) };
}

/**
 * Text of a TRL pair. String pairs are used as they are. Message lists go through the model's chat template the
 * way TRL applies it: prompt = render(prompt messages, add_generation_prompt); completion = render(prompt +
 * completion messages) minus the prompt text. A model without a template gets the messages' contents joined
 * with newlines (a plain continuation: nothing the model never saw is invented).
 * Rendered pairs are marked parseSpecial: the whole text, the messages' contents included, is read with special
 * tokens parsed, as llama.cpp reads a rendered prompt. A message that itself contains a marker's text (a user typing
 * `<|user|>`) therefore gets that marker as a token, as llama.cpp's own chat would; node-llama-cpp's chat wrapper,
 * which keeps contents as plain text, would not.
 */
export function pairTexts(pair: TrlPair, format: ChatFormat = {}): PairTexts {
  if (typeof pair.prompt === 'string' && typeof pair.chosen === 'string' && typeof pair.rejected === 'string') {
    return { prompt: pair.prompt, chosen: pair.chosen, rejected: pair.rejected };
  }
  const asList = (v: string | ChatMessage[], role: string): ChatMessage[] => (typeof v === 'string' ? [{ role, content: v }] : v);
  const prompt = asList(pair.prompt, 'user');
  const chosen = asList(pair.chosen, 'assistant');
  const rejected = asList(pair.rejected, 'assistant');
  if (!format.template) {
    const join = (m: ChatMessage[]): string => m.map((x) => x.content).join('\n');
    const p = join(prompt);
    const sep = p && !p.endsWith('\n') ? '\n' : '';
    return { prompt: p, chosen: sep + join(chosen), rejected: sep + join(rejected) };
  }
  let template: Template;
  try {
    template = new Template(format.template);
  } catch (err) {
    throw new TuneError('TUNE_TEMPLATE', `The model's chat template does not parse: ${(err as Error).message.split('\n')[0]}`);
  }
  const render = (messages: ChatMessage[], addGenerationPrompt: boolean): string => {
    try {
      return template.render({ messages, add_generation_prompt: addGenerationPrompt, bos_token: '', eos_token: format.eosToken ?? '' });
    } catch (err) {
      throw new TuneError('TUNE_TEMPLATE', `The model's chat template failed on a pair: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  const p = render(prompt, true);
  const completion = (c: ChatMessage[]): string => {
    const full = render([...prompt, ...c], false);
    if (!full.startsWith(p)) {
      throw new TuneError('TUNE_TEMPLATE', 'The chat template renders the prompt differently once an answer follows; use string pairs instead.');
    }
    return full.slice(p.length);
  };
  return { prompt: p, chosen: completion(chosen), rejected: completion(rejected), parseSpecial: true };
}
