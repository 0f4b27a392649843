// Why a generation stopped, in words a user reads: one table for the Playground, the CLI and every later feature
// that generates (Compare, Label), so the same reason reads the same everywhere.
import type { StopReason } from './runtime.js';

const TEXT: Record<StopReason, string> = {
  eos: 'the model ended the text (end-of-sequence token)',
  stopString: 'a stop string was generated',
  maxTokens: 'reached the max tokens setting',
  contextFull: 'the context window is full',
  cancelled: 'stopped by you',
  other: 'the runtime ended the generation',
};

/** "Stopped: the model ended the text (end-of-sequence token) after 0 tokens." Unknown reasons read as 'other'. */
export function describeStopReason(reason: string, tokens?: number): string {
  const why = TEXT[reason as StopReason] ?? TEXT.other;
  const count = tokens === undefined ? '' : ` after ${tokens} token${tokens === 1 ? '' : 's'}`;
  return `Stopped: ${why}${count}.`;
}

export function isStopReason(v: string): v is StopReason {
  return Object.hasOwn(TEXT, v);
}
