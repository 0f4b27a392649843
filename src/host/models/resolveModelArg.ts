import type { ModelRegistry } from './ModelRegistry.js';

export interface ModelTarget {
  /** Models-view id when the model is listed, else the file path. */
  id: string;
  name: string;
  path: string;
}

/**
 * What a command was invoked on: a Models-view node, an explorer/editor resource (anything with `fsPath`, i.e. a
 * vscode.Uri), a path string, or nothing (undefined: the caller asks).
 */
export function resolveModelArg(arg: unknown, registry: ModelRegistry): ModelTarget | undefined {
  if (!arg) return undefined;
  if (typeof arg === 'string') return byPath(arg, registry);
  if (typeof arg === 'object') {
    const o = arg as Record<string, unknown>;
    if (o.type === 'model' && o.model && typeof o.model === 'object') {
      const m = o.model as { id: string; name: string; path: string };
      return { id: m.id, name: m.name, path: m.path };
    }
    if (o.type === 'variant' && o.variant && typeof o.variant === 'object') {
      const v = o.variant as { name: string; path: string | null };
      return v.path ? { id: v.path, name: v.name, path: v.path } : undefined;
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
