import type { JobRecord } from '../../protocol/jobs.js';

/** "2m 05s", "1h 03m", "45s". */
export function formatDuration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "training 45% · step 18/40 · 820 tok/s · ETA 2m 10s" for a running job; the state (and why) otherwise. */
export function formatJobStatus(r: JobRecord): string {
  if (r.state === 'running') {
    const p = r.progress;
    if (!p) return 'starting';
    const parts = [`${p.phase} ${Math.floor(p.fraction * 100)}%`];
    if (p.step !== undefined && p.steps !== undefined) parts.push(`step ${p.step}/${p.steps}`);
    if (p.tokensPerSec !== undefined) parts.push(`${Math.round(p.tokensPerSec)} tok/s`);
    if (p.etaSec !== undefined && p.fraction < 1) parts.push(`ETA ${formatDuration(p.etaSec)}`);
    return parts.join(' · ');
  }
  if (r.state === 'crashed') return 'crashed · resume to continue';
  if (r.state === 'failed') return `failed: ${r.error?.message ?? 'unknown error'}`;
  return r.state;
}

/** Path of the file a finished job made (its result's `outputPath`), if any. */
export function jobOutputPath(r: JobRecord): string | undefined {
  const out = (r.result as { outputPath?: unknown } | undefined)?.outputPath;
  return typeof out === 'string' ? out : undefined;
}
