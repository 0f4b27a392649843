import { promises as fs } from 'node:fs';
import path from 'node:path';

/** One logged step of a preference run, as the panel charts it. */
export interface TuneMetricRow {
  step: number;
  loss: number;
  margin: number | null;
  accuracy: number | null;
  tokensPerSec: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The steps of `runDir/metrics.jsonl` (TRL's names: loss, rewards/margins, rewards/accuracies, tokens/s), one per step:
 * a resumed run logs the steps after its checkpoint again, and the later line wins. A torn last line is skipped.
 */
export async function readTuneMetrics(runDir: string): Promise<TuneMetricRow[]> {
  const text = await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8').catch(() => '');
  const byStep = new Map<number, TuneMetricRow>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const step = num(m.step), loss = num(m.loss);
    if (step === null || loss === null) continue;
    byStep.set(step, { step, loss, margin: num(m['rewards/margins']), accuracy: num(m['rewards/accuracies']), tokensPerSec: num(m['tokens/s']) });
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
