/**
 * The prompt Generate Alternatives sends for a selection (or a bare cursor). A model with a chat template gets one
 * user turn from the instruction template (placeholders {language}, {file}, {selection}, {before}, {after}); a
 * model without one (the demo model, base models) gets a raw completion of the code before the selection, so
 * every candidate is a different continuation at the same place — what the selection, or the cursor, would become.
 */
import type { PromptData } from '../../workspace/preferences/index.js';

export const DEFAULT_INSTRUCTION =
  'Here is {language} code from {file}:\n```{language}\n{before}{selection}{after}\n```\n' +
  'Rewrite this part of it so that it is correct, clear and idiomatic; reply with the new code only:\n```{language}\n{selection}\n```';

/** Characters of context kept on each side (a small model's context is short; the nearest code matters most). */
export const CONTEXT_BEFORE = 2000;
export const CONTEXT_AFTER = 600;

export interface AlternativesInput {
  selection: string;
  before: string;
  after: string;
  language: string;
  file: string | null;
}

export interface AlternativesPrompt {
  mode: 'chat' | 'complete';
  /** Raw completion: the text itself. Chat: the user message (the runtime applies the model's template). */
  prompt: string;
  /** What the store records. */
  promptData: PromptData;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(language|file|selection|before|after)\}/g, (_, k: string) => values[k]);
}

export interface AlternativesOptions {
  chat: boolean;
  instruction?: string;
  /** Characters of code kept before and after the selection (CONTEXT_BEFORE, CONTEXT_AFTER unless fitAlternativesPrompt asks for fewer). */
  keepBefore?: number;
  keepAfter?: number;
}

export function buildAlternativesPrompt(input: AlternativesInput, opts: AlternativesOptions): AlternativesPrompt {
  // Cut the context at line starts so the model never sees half a line.
  const keepBefore = opts.keepBefore ?? CONTEXT_BEFORE;
  let before = keepBefore > 0 ? input.before.slice(-keepBefore) : '';
  if (before.length < input.before.length) before = before.slice(before.indexOf('\n') + 1);
  let after = input.after.slice(0, opts.keepAfter ?? CONTEXT_AFTER);
  if (after.length < input.after.length && after.lastIndexOf('\n') > 0) after = after.slice(0, after.lastIndexOf('\n') + 1);
  if (!opts.chat) return { mode: 'complete', prompt: before, promptData: { text: before } };
  const content = fill(opts.instruction ?? DEFAULT_INSTRUCTION, {
    language: input.language,
    file: input.file ? input.file.split(/[\\/]/).pop()! : 'the editor',
    selection: input.selection,
    before,
    after,
  });
  return { mode: 'chat', prompt: content, promptData: { messages: [{ role: 'user', content }] } };
}
