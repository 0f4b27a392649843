import { ModelLabError } from '../../engine/errors.js';

export async function run(_args: string[]): Promise<void> {
  throw new ModelLabError('NOT_BUILT', 'ppl is not built yet');
}
