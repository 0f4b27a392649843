import { isLoraAdapter, loraAdapterProblems } from '../gguf/checkAdapter.js';
import { readGguf } from '../gguf/index.js';
import { ADAPTER } from '../gguf/metadataKeys.js';
import type { LoraTarget } from '../model/LoraAdapter.js';
import { TuneError } from './TuneError.js';

/** What a run that continues an adapter takes from it: its rank, alpha and the projections it sits on. */
export interface InitAdapterShape { rank: number; alpha: number; targets: LoraTarget[] }

/**
 * Reads an adapter GGUF's header (our reader checks the file first) for the settings a run continuing it must use,
 * before any model is loaded: a run's config (and hash) is fixed before its weights are.
 */
export async function initAdapterShape(file: string, signal?: AbortSignal): Promise<InitAdapterShape> {
  const g = await readGguf(file, { signal });
  if (!isLoraAdapter(g.metadata)) throw new TuneError('TUNE_CONFIG', `${file} is not a LoRA adapter (general.type adapter, adapter.type lora).`);
  const { pairs, problems } = loraAdapterProblems(g);
  if (problems.length) throw new TuneError('TUNE_CONFIG', `${file}: ${problems[0]}`);
  const rank = pairs[0]!.rank;
  const alphaValue = g.metadata[ADAPTER.loraAlpha];
  const targets = [...new Set(pairs.map((p) => /\.([a-z_]+)\.weight$/.exec(p.base)?.[1]).filter((t): t is string => !!t))] as LoraTarget[];
  return { rank, alpha: typeof alphaValue === 'number' ? alphaValue : rank, targets };
}
