import { stat } from 'node:fs/promises';
import type { GgufFile } from '../../engine/gguf/types.js';
import type { Disposable, Event, Listener } from '../vscodeApi/HostApi.js';
import type { ReadInspectSource } from './InspectPanel.js';

/** What a user wants to know about a model before using it, from its GGUF header. */
export interface ModelFacts {
  architecture: string;
  fileBytes: number;
  /** The type holding most tensor bytes (e.g. "Q4_K", "F16"). */
  quantization: string;
  parameters: number;
  chatTemplate: boolean;
  /** `<arch>.context_length`, when the header has it. */
  trainContextSize: number | null;
}

export function modelFactsOf(file: GgufFile): ModelFacts {
  const md = file.metadata;
  const architecture = typeof md['general.architecture'] === 'string' ? md['general.architecture'] : 'unknown';
  const bytesByType = new Map<string, number>();
  let parameters = 0;
  for (const t of file.tensors) {
    bytesByType.set(t.typeName, (bytesByType.get(t.typeName) ?? 0) + t.bytes);
    parameters += t.elements;
  }
  const quantization = [...bytesByType.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'none';
  const ctx = md[`${architecture}.context_length`];
  const trainContextSize = typeof ctx === 'number' ? ctx : typeof ctx === 'bigint' ? Number(ctx) : null;
  return { architecture, fileBytes: file.fileBytes, quantization, parameters, chatTemplate: typeof md['tokenizer.chat_template'] === 'string', trainContextSize };
}

/**
 * Facts of model files, read once per file version (path, size, mtime) with our GGUF reader. `peek` answers from
 * the cache at once and starts a read when it has nothing, announcing it through onDidChange, so a tree or a
 * panel can show what it has and fill in the rest.
 */
export class ModelFactsCache implements Disposable {
  private readonly done = new Map<string, { key: string; facts: ModelFacts | null }>();
  private readonly reading = new Map<string, Promise<ModelFacts | null>>();
  private readonly listeners = new Set<Listener<void>>();
  private readonly ac = new AbortController();

  constructor(private readonly read: ReadInspectSource) {}

  readonly onDidChange: Event<void> = (l) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };

  peek(filePath: string): ModelFacts | null {
    const have = this.done.get(filePath);
    if (!have) void this.get(filePath);
    return have?.facts ?? null;
  }

  /** The facts, or null when the file cannot be read as a model header. */
  get(filePath: string): Promise<ModelFacts | null> {
    let p = this.reading.get(filePath);
    if (p) return p;
    p = (async () => {
      const st = await stat(filePath).catch(() => null);
      const key = st ? `${st.size}:${st.mtimeMs}` : 'missing';
      const have = this.done.get(filePath);
      if (have?.key === key) return have.facts;
      const facts = st ? await this.read(filePath, this.ac.signal).then((s) => modelFactsOf(s.file), () => null) : null;
      this.done.set(filePath, { key, facts });
      for (const l of this.listeners) l();
      return facts;
    })().finally(() => this.reading.delete(filePath));
    this.reading.set(filePath, p);
    return p;
  }

  dispose(): void {
    this.ac.abort();
    this.listeners.clear();
  }
}
