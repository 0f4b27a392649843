/**
 * While coding, without a panel (opt-in: `modelLab.label.inlineSuggestions`): inline suggestions from the local
 * model, and the user's reaction to them as single-response feedback in the preference store — an accepted
 * suggestion is reward +1, "Thumbs Down on the Last Suggestion" is −1 on the last one shown. Each suggestion is a
 * short raw completion of the code before the cursor.
 */
import { randomUUID } from 'node:crypto';
import type { Candidate, SourceContext } from '../../workspace/preferences/index.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { EditorSelection } from '../vscodeApi/HostApi.js';
import { alternativesPromptFor } from './fitAlternativesPrompt.js';
import type { LabelModel } from './LabelPanel.js';
import type { PreferenceDataset } from './PreferenceDataset.js';

export interface InlineSuggestionDeps {
  runtime: RuntimeService;
  dataset: PreferenceDataset;
  enabled: () => boolean;
  /** The model to suggest with, or undefined (then no suggestion). */
  model: () => LabelModel | undefined;
  contextSize: () => number;
  random?: () => number;
}

interface Shown {
  id: string;
  prompt: string;
  response: Candidate;
  context: SourceContext;
}

/** Short and nearly greedy: a suggestion should be the model's best guess, not a sample. */
const SAMPLING = { temperature: 0.2, topP: 0.95, topK: 0, maxTokens: 32 };
const KEEP = 20;

export class InlineSuggestions {
  private readonly shown: Shown[] = [];
  /** The most recent suggestion, until a thumbs down takes it (one thumbs down per suggestion). */
  private last: Shown | null = null;

  constructor(private readonly deps: InlineSuggestionDeps) {}

  /** A suggestion for the cursor, or null when off, without a model, cancelled or empty. */
  async provide(at: EditorSelection, signal: AbortSignal): Promise<{ id: string; text: string } | null> {
    if (!this.deps.enabled()) return null;
    const model = this.deps.model();
    if (!model) return null;
    if (!(at.before ?? '').trim()) return null;
    const seed = Math.floor((this.deps.random ?? Math.random)() * 2 ** 31);
    const state = await this.deps.runtime.ensureLoaded(model.id, model.name, model.path, signal);
    const rt = await this.deps.runtime.get();
    const input = { selection: '', before: at.before ?? '', after: at.after ?? '', language: at.languageId, file: at.filePath };
    // the code before the cursor, cut to leave the suggestion its tokens in the context
    const prompt = (await alternativesPromptFor(input, { chat: false }, { runtime: rt, info: state.info, contextSetting: this.deps.contextSize(), maxTokens: SAMPLING.maxTokens }, signal)).prompt;
    if (!prompt.trim()) return null;
    let text = '';
    await rt.generate(
      { modelHandle: state.info.handle, mode: 'complete', prompt, history: [], sampling: { ...SAMPLING, seed }, contextSize: this.deps.contextSize(), ...(model.adapterPath ? { adapter: { path: model.adapterPath, scale: 1 } } : {}) },
      (t) => void (text += t),
      signal,
    );
    // Up to the first blank line: the rest is the model wandering into the next block.
    text = text.split(/\n\s*\n/)[0].replace(/\s+$/, '');
    if (signal.aborted || !text.trim()) return null;
    const id = randomUUID();
    const context: SourceContext = { ...(at.filePath ? { file: at.filePath } : {}), language: at.languageId, ...(at.range ? { range: at.range } : {}) };
    this.shown.push({ id, prompt, context, response: { id: 'suggestion', text, model: model.name, sampling: { temperature: SAMPLING.temperature, topP: SAMPLING.topP, maxTokens: SAMPLING.maxTokens }, seed } });
    if (this.shown.length > KEEP) this.shown.shift();
    this.last = this.shown.at(-1)!;
    return { id, text };
  }

  /** The user accepted suggestion `id`: reward +1. */
  async accepted(id: unknown): Promise<boolean> {
    const s = this.shown.find((x) => x.id === id);
    if (!s) return false;
    await this.record(s, 1);
    return true;
  }

  /** Thumbs down on the last suggestion shown: reward −1. False when none was shown. */
  async thumbsDown(): Promise<boolean> {
    const s = this.last;
    if (!s) return false;
    this.last = null;
    await this.record(s, -1);
    return true;
  }

  private async record(s: Shown, reward: 1 | -1): Promise<void> {
    const store = await this.deps.dataset.open();
    await store.addFeedback({ prompt: { text: s.prompt }, response: s.response, reward, context: s.context, origin: 'inline' });
    this.deps.dataset.changed();
  }
}
