import type { ChatHistoryItem } from 'node-llama-cpp';
import { ModelLabError } from '../../engine/errors.js';
import type { ChatMessage } from '../../protocol/runtime.js';

/**
 * A whole conversation (OpenAI-style messages) as node-llama-cpp's chat history plus the user turn to answer: the
 * last message must be the user's, since that is the turn the model replies to.
 */
export function chatHistoryFromMessages(messages: ChatMessage[]): { history: ChatHistoryItem[]; prompt: string } {
  const last = messages.at(-1);
  if (!last || last.role !== 'user') {
    throw new ModelLabError('BAD_MESSAGES', 'The conversation must end with a user message (the turn the model answers)');
  }
  const history: ChatHistoryItem[] = messages.slice(0, -1).map((m): ChatHistoryItem => {
    if (m.role === 'system') return { type: 'system', text: m.content };
    if (m.role === 'user') return { type: 'user', text: m.content };
    if (m.role === 'assistant') return { type: 'model', response: [m.content] };
    throw new ModelLabError('BAD_MESSAGES', `Unknown message role '${String((m as { role: unknown }).role)}' (system, user or assistant)`);
  });
  return { history, prompt: last.content };
}

/**
 * The history a chat session starts from: the user's system prompt, or none. Left to itself node-llama-cpp starts
 * with its own default system prompt (about 130 tokens, half the window of a 256-token model, and text the model
 * was never trained to follow).
 */
export function initialChatHistory(systemPrompt: string | undefined): ChatHistoryItem[] {
  return systemPrompt ? [{ type: 'system', text: systemPrompt }] : [];
}
