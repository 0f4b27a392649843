/**
 * Hand-written validators for messages that arrive from a webview. A webview is untrusted input: the host checks
 * every message against these before it acts, and ignores (and logs) anything that does not match.
 * A schema is a function returning `null` when the value fits, or a short reason ("params.maxTokens: expected
 * integer ≤ 8192").
 */
import { READY } from './webview.js';

export type Schema = (value: unknown, path: string) => string | null;

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export function str(opts: { maxLength?: number; minLength?: number; oneOf?: readonly string[] } = {}): Schema {
  const max = opts.maxLength ?? 1_000_000;
  return (v, p) => {
    if (typeof v !== 'string') return `${p}: expected string, got ${typeName(v)}`;
    if (v.length > max) return `${p}: longer than ${max} characters`;
    if (opts.minLength !== undefined && v.length < opts.minLength) return `${p}: shorter than ${opts.minLength} characters`;
    if (opts.oneOf && !opts.oneOf.includes(v)) return `${p}: expected one of ${opts.oneOf.join(', ')}`;
    return null;
  };
}

export function num(opts: { min?: number; max?: number; integer?: boolean } = {}): Schema {
  return (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${p}: expected finite number, got ${typeName(v)}`;
    if (opts.integer && !Number.isInteger(v)) return `${p}: expected integer`;
    if (opts.min !== undefined && v < opts.min) return `${p}: expected ≥ ${opts.min}`;
    if (opts.max !== undefined && v > opts.max) return `${p}: expected ≤ ${opts.max}`;
    return null;
  };
}

export const bool = (): Schema => (v, p) => (typeof v === 'boolean' ? null : `${p}: expected boolean, got ${typeName(v)}`);

/** The value may also be undefined/absent (or null when `nullable`). */
export function optional(inner: Schema, nullable = false): Schema {
  return (v, p) => (v === undefined || (nullable && v === null) ? null : inner(v, p));
}

export function arr(item: Schema, maxItems = 10_000): Schema {
  return (v, p) => {
    if (!Array.isArray(v)) return `${p}: expected array, got ${typeName(v)}`;
    if (v.length > maxItems) return `${p}: more than ${maxItems} items`;
    for (let i = 0; i < v.length; i++) {
      const e = item(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return null;
  };
}

/** A plain object with exactly these keys (unknown keys are rejected, so typos surface). */
export function obj(shape: Record<string, Schema>): Schema {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p}: expected object, got ${typeName(v)}`;
    for (const k of Object.keys(v)) if (!(k in shape)) return `${p}: unexpected key "${k}"`;
    for (const [k, s] of Object.entries(shape)) {
      const e = s((v as Record<string, unknown>)[k], `${p}.${k}`);
      if (e) return e;
    }
    return null;
  };
}

/** Schemas for the messages one panel accepts from its webview. */
export interface IncomingSchemas {
  requests: Record<string, Schema>;
  notifications: Record<string, Schema>;
}

export type IncomingCheck =
  | { ok: true; kind: 'request'; id: number; method: string; params: unknown }
  | { ok: true; kind: 'notification'; method: string; params: unknown }
  | { ok: false; reason: string; id?: number };

const MAX_ID = Number.MAX_SAFE_INTEGER;

/** Checks the envelope, then the params of the named method. `id` is set on failures that can still be answered. */
export function checkIncoming(schemas: IncomingSchemas, msg: unknown): IncomingCheck {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { ok: false, reason: `message: expected object, got ${typeName(msg)}` };
  const m = msg as Record<string, unknown>;
  if (typeof m.method !== 'string') return { ok: false, reason: 'message.method: expected string' };
  const params = m.params === undefined ? {} : m.params;
  if (m.kind === 'request') {
    if (typeof m.id !== 'number' || !Number.isInteger(m.id) || m.id < 0 || m.id > MAX_ID) return { ok: false, reason: 'message.id: expected non-negative integer' };
    for (const k of Object.keys(m)) if (!['kind', 'id', 'method', 'params'].includes(k)) return { ok: false, reason: `message: unexpected key "${k}"`, id: m.id };
    const schema = Object.hasOwn(schemas.requests, m.method) ? schemas.requests[m.method] : undefined;
    if (!schema) return { ok: false, reason: `unknown request "${m.method}"`, id: m.id };
    const e = schema(params, 'params');
    return e ? { ok: false, reason: `${m.method}: ${e}`, id: m.id } : { ok: true, kind: 'request', id: m.id, method: m.method, params };
  }
  if (m.kind === 'notification') {
    for (const k of Object.keys(m)) if (!['kind', 'method', 'params'].includes(k)) return { ok: false, reason: `message: unexpected key "${k}"` };
    const schema = m.method === READY ? obj({}) : Object.hasOwn(schemas.notifications, m.method) ? schemas.notifications[m.method] : undefined;
    if (!schema) return { ok: false, reason: `unknown notification "${m.method}"` };
    const e = schema(params, 'params');
    return e ? { ok: false, reason: `${m.method}: ${e}` } : { ok: true, kind: 'notification', method: m.method, params };
  }
  return { ok: false, reason: 'message.kind: expected "request" or "notification"' };
}
