import type { ModelRegistry } from './ModelRegistry.js';

export interface ModelTarget {
  /** Models-view id when the model is listed, else the file path. */
  id: string;
  name: string;
  path: string;
  /** Set when the target is a LoRA adapter variant run on its base model (`path` is then the base model's). */
  adapterPath?: string;
}

/**
 * What a command was invoked on: a Models-view node, an explorer/editor resource (anything with `fsPath`, i.e. a
 * vscode.Uri), a path string, or nothing (undefined: the caller asks). `use` says whether the command reads the
 * file (inspect) or runs a model (load, playground).
 */
export function resolveModelArg(arg: unknown, registry: ModelRegistry, use: 'file' | 'run' = 'file'): ModelTarget | undefined {
  if (!arg) return undefined;
  if (typeof arg === 'string') return byPath(arg, registry);
  if (typeof arg === 'object') {
    const o = arg as Record<string, unknown>;
    if (o.type === 'model' && o.model && typeof o.model === 'object') {
      const m = o.model as { id: string; name: string; path: string };
      return { id: m.id, name: m.name, path: m.path };
    }
    if (o.type === 'variant' && o.variant && typeof o.variant === 'object') {
      const v = o.variant as { name: string; path: string | null; kind: string };
      if (!v.path) return undefined;
      // 'run' an adapter = its base model with the adapter applied; 'file' = the adapter file itself
      if (use === 'run' && v.kind === 'adapter') {
        // The model it runs on is a listed model, or a model variant (named by its path) it was trained on.
        const id = typeof o.modelId === 'string' ? o.modelId : undefined;
        const listed = id === undefined ? undefined : registry.find(id);
        const variant = id === undefined || listed ? undefined : registry.listVariants().find((x) => x.kind === 'model' && x.path === id);
        const base = listed ?? (variant && { id: variant.path, name: variant.name, path: variant.path });
        return base ? { id: base.id, name: base.name, path: base.path, adapterPath: v.path } : undefined;
      }
      return { id: v.path, name: v.name, path: v.path };
    }
    if (typeof o.fsPath === 'string') return byPath(o.fsPath, registry);
  }
  return undefined;
}

function byPath(p: string, registry: ModelRegistry): ModelTarget {
  const m = registry.find(p);
  if (m) return { id: m.id, name: m.name, path: m.path };
  const base = p.split(/[\\/]/).pop() ?? p;
  return { id: p, name: base.replace(/\.gguf$/i, ''), path: p };
}
