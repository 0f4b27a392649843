/**
 * The Label panel's host: Generate Alternatives puts a task in its queue (a prompt from the selection, K
 * candidates sampled with distinct seeds from one model, streamed one after another); the webview sends the user's
 * decision and this writes one comparison record to the preference store. Undo takes the last record back with a
 * delete event and reopens its task with its labels. Blind mode shuffles the shown order and hides names; the
 * shown position of every candidate is recorded either way.
 */
import { randomUUID } from 'node:crypto';
import type { LabelCandidateView, LabelDecision, LabelProtocol, LabelState } from '../../protocol/webviewLabel.js';
import { labelIncoming } from '../../protocol/webviewLabel.js';
import { ModelLabError } from '../../engine/errors.js';
import type { Candidate, ComparisonEvent, SourceContext } from '../../workspace/preferences/index.js';
import { WebviewChannel } from '../panels/WebviewChannel.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { LoadedModel, ModelRuntime } from '../runtime/ModelRuntime.js';
import type { Disposable, EditorSelection, PanelHandle } from '../vscodeApi/HostApi.js';
import type { AlternativesInput, AlternativesPrompt } from './buildAlternativesPrompt.js';
import { alternativesPromptFor } from './fitAlternativesPrompt.js';
import type { LabelSettings } from './labelSettings.js';
import type { PreferenceDataset } from './PreferenceDataset.js';

export interface LabelModel {
  id: string;
  name: string;
  path: string;
  /** A LoRA adapter applied to the model (an adapter variant). */
  adapterPath?: string;
}

export interface LabelDeps {
  runtime: RuntimeService;
  settings: () => LabelSettings;
  contextSize: () => number;
  /** The preference store, shared with the Dataset view (told about every change). */
  dataset: PreferenceDataset;
  log: (line: string) => void;
  random?: () => number;
}

interface Task {
  id: string;
  model: LabelModel;
  input: AlternativesInput;
  /** Built once the model is loaded (chat or raw completion depends on whether it has a chat template). */
  prompt: AlternativesPrompt | null;
  preview: string;
  context: SourceContext;
  settings: LabelSettings;
  candidates: Array<Candidate & { done: boolean; error: string | null }>;
  /** Candidate ids in shown order. */
  order: string[];
  blind: boolean;
  decision: LabelDecision | null;
  ctrl: AbortController;
  /** Set when the task re-labels a stored record: saving revises it instead of adding one. */
  revises: ComparisonEvent | null;
  /** Told the decision once the task is saved (null: skipped or the panel closed) — an oracle waiting for the user. */
  settled?: (decision: LabelDecision | null) => void;
  /** Where the record says it came from (default 'editor'). */
  origin?: string;
}

/** Candidates made elsewhere (a DNO iteration's samples) for the user to rank, one comparison per prompt. */
export interface RankingTask {
  model: LabelModel;
  mode: 'chat' | 'complete';
  prompt: string;
  candidates: string[];
  sampling?: { temperature?: number; topP?: number; maxTokens?: number };
  /** The record's origin in the store, e.g. 'dno'. */
  origin: string;
}

const BLIND_NAMES = 'ABCDEFGHI';

export class LabelPanel implements Disposable {
  readonly channel: WebviewChannel<LabelProtocol>;
  private readonly queue: Task[] = [];
  private readonly saved: Array<{ recordId: string; task: Task; decision: LabelDecision; undo: () => Promise<void> }> = [];
  private blind: boolean;
  private message: string | null = null;
  private generating: Promise<void> = Promise.resolve();
  private readonly random: () => number;

  constructor(
    readonly panel: PanelHandle,
    private readonly deps: LabelDeps,
  ) {
    this.random = deps.random ?? Math.random;
    this.blind = deps.settings().blind;
    this.channel = new WebviewChannel<LabelProtocol>(
      panel,
      labelIncoming,
      {
        requests: {
          'label/save': ({ taskId, decision }) => this.save(taskId, decision),
          'label/undoSave': () => this.undoSave(),
          'label/stop': ({ taskId }) => {
            const t = this.queue.find((x) => x.id === taskId);
            t?.ctrl.abort();
            return { stopped: t !== undefined };
          },
          'label/setBlind': ({ blind }) => {
            this.blind = blind;
            this.postState();
            return { blind };
          },
          'label/skip': ({ taskId }) => {
            const i = this.queue.findIndex((x) => x.id === taskId);
            if (i < 0) return { skipped: false };
            this.queue[i].ctrl.abort();
            this.queue[i].settled?.(null);
            this.queue.splice(i, 1);
            this.message = 'Skipped; nothing was saved for it.';
            this.postState();
            return { skipped: true };
          },
        },
        onReady: () => this.postState(),
      },
      deps.log,
    );
    this.channel.signal.addEventListener('abort', () => this.cancelAll(), { once: true });
  }

  /** Queues a task for the selection and starts sampling its candidates (after the tasks before it). */
  async addTask(selection: EditorSelection, model: LabelModel): Promise<string> {
    const settings = this.deps.settings();
    const input: AlternativesInput = { selection: selection.text, before: selection.before ?? '', after: selection.after ?? '', language: selection.languageId, file: selection.filePath };
    const base = Math.floor(this.random() * 2 ** 31);
    const candidates = Array.from({ length: settings.candidates }, (_, i) => ({
      id: `c${i + 1}`,
      text: '',
      model: model.name,
      ...(model.adapterPath ? { variant: `${model.name} + ${model.adapterPath.split(/[\\/]/).pop()}` } : {}),
      sampling: { temperature: settings.temperature, topP: settings.topP, maxTokens: settings.maxTokens },
      seed: base + i,
      done: false,
      error: null,
    }));
    const order = candidates.map((c) => c.id);
    const blind = this.blind;
    if (blind) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    const context: SourceContext = {
      ...(selection.filePath ? { file: selection.filePath } : {}),
      language: selection.languageId,
      ...(selection.range ? { range: selection.range } : {}),
    };
    const preview = selection.text || `${(selection.before ?? '').split('\n').slice(-3).join('\n')}▌`;
    const task: Task = { id: randomUUID(), model, input, prompt: null, preview, context, settings, candidates, order, blind, decision: null, ctrl: new AbortController(), revises: null };
    this.queue.push(task);
    this.message = null;
    this.postState();
    this.generating = this.generating.then(() => this.generate(task));
    return task.id;
  }

  private async generate(task: Task): Promise<void> {
    const signal = task.ctrl.signal;
    for (const c of task.candidates) {
      if (signal.aborted || (c !== task.candidates[0] && !task.prompt)) {
        c.done = true;
        c.error = signal.aborted ? 'stopped' : task.candidates[0].error;
        this.channel.notify('label/candidateDone', { taskId: task.id, candidateId: c.id, error: c.error });
        continue;
      }
      try {
        const state = await this.deps.runtime.ensureLoaded(task.model.id, task.model.name, task.model.path, signal);
        const rt = await this.deps.runtime.get();
        const prompt = (task.prompt ??= await this.prompt(task, state.info, rt, signal));
        await rt.generate(
          {
            modelHandle: state.info.handle,
            mode: prompt.mode,
            prompt: prompt.prompt,
            history: [],
            ...(task.model.adapterPath ? { adapter: { path: task.model.adapterPath, scale: 1 } } : {}),
            sampling: { temperature: task.settings.temperature, topP: task.settings.topP, topK: 0, maxTokens: task.settings.maxTokens, seed: c.seed },
            contextSize: this.deps.contextSize(),
          },
          (text) => {
            if (signal.aborted) return;
            c.text += text;
            this.channel.notify('label/token', { taskId: task.id, candidateId: c.id, text });
          },
          signal,
        );
      } catch (e) {
        c.error = signal.aborted ? 'stopped' : toErrorInfo(e).message;
        if (!signal.aborted) this.deps.log(`[label] candidate ${c.id} failed: ${c.error}`);
      }
      c.done = true;
      this.channel.notify('label/candidateDone', { taskId: task.id, candidateId: c.id, error: c.error });
    }
  }

  /** The task's prompt, its surroundings cut to fit the session's context with room for the answer. */
  private prompt(task: Task, info: LoadedModel, runtime: ModelRuntime, signal: AbortSignal): Promise<AlternativesPrompt> {
    const opts = { chat: info.chatTemplate === true, instruction: task.settings.instruction };
    return alternativesPromptFor(task.input, opts, { runtime, info, contextSetting: this.deps.contextSize(), maxTokens: task.settings.maxTokens }, signal);
  }

  /**
   * Queues finished candidates for ranking (no sampling here) and resolves with the user's decision when the task
   * is saved — the comparison goes to the store as any other — or null when it is skipped or the panel closes.
   */
  rank(t: RankingTask): Promise<LabelDecision | null> {
    return new Promise((resolve) => {
      const candidates = t.candidates.map((text, i) => ({
        id: `c${i + 1}`, text, model: t.model.name,
        ...(t.model.adapterPath ? { variant: `${t.model.name} + ${t.model.adapterPath.split(/[\\/]/).pop()}` } : {}),
        ...(t.sampling ? { sampling: t.sampling } : {}),
        done: true, error: null,
      }));
      const order = candidates.map((c) => c.id);
      if (this.blind) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(this.random() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      const settings = this.deps.settings();
      this.queue.push({
        id: randomUUID(), model: t.model,
        input: { selection: '', before: t.prompt, after: '', language: '', file: null },
        prompt: { mode: t.mode, prompt: t.prompt, promptData: t.mode === 'chat' ? { messages: [{ role: 'user', content: t.prompt }] } : { text: t.prompt } },
        preview: t.prompt.split('\n').slice(-6).join('\n'), context: {}, settings, candidates, order, blind: this.blind,
        decision: null, ctrl: new AbortController(), revises: null, settled: resolve, origin: t.origin,
      });
      this.postState();
    });
  }

  /** Opens a stored comparison for re-labelling (the Dataset view's edit): saving revises it, undo reverts. */
  editRecord(record: ComparisonEvent): void {
    const existing = this.queue.find((t) => t.revises?.id === record.id);
    if (existing) {
      this.queue.splice(this.queue.indexOf(existing), 1);
      this.queue.unshift(existing);
    } else {
      const order = [...record.candidates].sort((a, b) => (a.shownAt ?? 0) - (b.shownAt ?? 0)).map((c) => c.id);
      const prompt = record.prompt.text ?? record.prompt.messages?.map((m) => m.content).join('\n\n') ?? '';
      const model = { id: '', name: record.candidates[0]?.model ?? 'model', path: '' };
      this.queue.unshift({
        id: randomUUID(),
        model,
        input: { selection: '', before: prompt, after: '', language: record.context?.language ?? '', file: record.context?.file ?? null },
        prompt: { mode: record.prompt.messages ? 'chat' : 'complete', prompt, promptData: record.prompt },
        preview: prompt.split('\n').slice(-6).join('\n'),
        context: record.context ?? {},
        settings: this.deps.settings(),
        candidates: record.candidates.map((c) => ({ ...c, model: c.model ?? model.name, done: true, error: null })),
        order,
        blind: record.blind === true,
        decision: { ranking: record.ranking, allBad: record.allBad === true, rationale: record.rationale ?? '', gold: record.gold ? { text: record.gold.text, fromCandidate: record.gold.fromCandidate ?? null } : null },
        ctrl: new AbortController(),
        revises: record,
      });
    }
    this.message = 'Editing a saved record: Enter saves the change (U takes it back).';
    this.postState();
  }

  private async save(taskId: string, decision: LabelDecision): Promise<{ recordId: string }> {
    const task = this.queue.find((t) => t.id === taskId);
    if (!task) throw new ModelLabError('TASK_NOT_FOUND', 'That task is no longer open; generate alternatives again.');
    if (task.candidates.some((c) => !c.done)) throw new ModelLabError('TASK_GENERATING', 'The candidates are still being generated; wait for them or stop first.');
    if (!task.prompt) throw new ModelLabError('TASK_FAILED', 'No candidate was generated for this task (see the error on the cards); skip it and try again.');
    const store = await this.deps.dataset.open();
    const said = {
      ranking: decision.ranking,
      ...(decision.allBad ? { allBad: true } : {}),
      ...(decision.rationale.trim() ? { rationale: decision.rationale } : {}),
      ...(decision.gold ? { gold: { text: decision.gold.text, ...(decision.gold.fromCandidate ? { fromCandidate: decision.gold.fromCandidate } : {}) } } : {}),
    };
    let recordId: string;
    let undo: () => Promise<void>;
    if (task.revises) {
      const before = task.revises;
      const { allBad: _a, rationale: _r, gold: _g, ranking: _k, ...rest } = before;
      const after: ComparisonEvent = { ...rest, ...said };
      await store.revise(after);
      recordId = before.id;
      task.revises = after;
      undo = () => store.revise(before);
    } else {
      const record = await store.addComparison({
        prompt: task.prompt.promptData,
        candidates: task.candidates.map(({ done: _d, error: _e, ...c }) => ({ ...c, shownAt: task.order.indexOf(c.id) })),
        ...said,
        context: task.context,
        blind: task.blind,
        origin: task.origin ?? 'editor',
      });
      recordId = record.id;
      undo = () => store.delete(record.id);
    }
    this.queue.splice(this.queue.indexOf(task), 1);
    this.saved.push({ recordId, task, decision, undo });
    task.settled?.(decision);
    task.settled = undefined;
    this.message = `Saved to ${store.file}.`;
    this.deps.dataset.changed();
    this.postState();
    return { recordId };
  }

  private async undoSave(): Promise<{ undone: boolean }> {
    const last = this.saved.pop();
    if (!last) return { undone: false };
    await last.undo();
    last.task.decision = last.decision;
    this.queue.unshift(last.task);
    this.message = 'The last save was taken back; change the labels and save again.';
    this.deps.dataset.changed();
    this.postState();
    return { undone: true };
  }

  state(): LabelState {
    const t = this.queue[0];
    const view = (task: Task): LabelCandidateView[] =>
      task.order.map((id, i) => {
        const c = task.candidates.find((x) => x.id === id)!;
        return { id, label: task.blind ? BLIND_NAMES[i] : c.seed !== undefined ? `${c.model} · seed ${c.seed}` : `${c.model} · ${c.id}`, text: c.text, done: c.done, error: c.error };
      });
    return {
      task: t ? { taskId: t.id, promptPreview: t.preview, file: t.context.file ?? null, language: t.context.language ?? null, candidates: view(t), blind: t.blind, decision: t.decision } : null,
      queued: Math.max(0, this.queue.length - 1),
      saved: this.saved.length,
      blind: this.blind,
      message: this.message,
    };
  }

  private postState(): void {
    this.channel.notify('label/state', this.state());
  }

  /** Resolves when every queued generation has finished (tests, and the e2e lane's waits). */
  idle(): Promise<void> {
    return this.generating;
  }

  private cancelAll(): void {
    for (const t of this.queue) {
      t.ctrl.abort();
      t.settled?.(null);
      t.settled = undefined;
    }
  }

  dispose(): void {
    this.cancelAll();
    this.channel.dispose();
  }
}
