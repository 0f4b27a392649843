import { randomBytes } from 'node:crypto';

/**
 * A readable, sortable, unique id for a variant, run or evaluation: `<method>-<yyyymmdd-hhmmss>-<4 hex>` in UTC,
 * e.g. `prune-ffn-20261201-094512-3fa2`. The method is reduced to lower-case letters, digits and dashes so that
 * the id is a safe folder name everywhere. Uniqueness across processes comes from the folder reservation
 * (reserveFolder), which asks for another id when the random part ever collides.
 */
export function newVariantId(method: string, now: Date = new Date()): string {
  const slug =
    method
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'variant';
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${slug}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** What newVariantId makes (also accepted from other tools: any safe folder name). */
export const isSafeId = (id: string): boolean => /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && !id.endsWith('.tmp');
