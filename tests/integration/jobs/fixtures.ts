// Shared set-up of the job tests: a temporary data folder, token files, and small training configs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrainConfig } from '../../../src/engine/train/index.js';
import type { TrainJobParams } from '../../../src/jobs/kinds/train.js';

export const JOBS_SOURCE_ENTRY = path.resolve('src/jobs/main.ts');

export interface JobFixture {
  dir: string;
  data: string;
  params: (over?: Partial<TrainConfig>, model?: Partial<TrainConfig['model']>) => TrainJobParams;
  cleanup: () => void;
}

/** A data folder and a token stream with some structure to learn (a noisy cycle over 29 ids). */
export function jobFixture(): JobFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-jobs-'));
  const tokens = new Int32Array(6000);
  let prev = 3;
  for (let i = 0; i < tokens.length; i++) tokens[i] = prev = 3 + (((prev - 3) * 7 + 5 + (i % 13 === 0 ? i : 0)) % 29);
  fs.writeFileSync(path.join(dir, 'train.bin'), new Uint8Array(tokens.buffer));
  fs.writeFileSync(path.join(dir, 'heldout.bin'), new Uint8Array(tokens.slice(0, 800).buffer));
  const config: TrainConfig = {
    model: { nVocab: 32, nEmbd: 16, nLayer: 1, nHead: 2, nFf: 32, contextLength: 32, seed: 5 },
    seqLen: 17, batchSize: 4, steps: 40, lr: 1e-2, minLr: 1e-3, warmupSteps: 4, weightDecay: 0.01,
    beta1: 0.9, beta2: 0.99, gradClip: 1, seed: 2, checkpointEvery: 5, evalEvery: 10, evalWindows: 4,
  };
  return {
    dir,
    data: path.join(dir, '.model-lab'),
    params: (over = {}, model = {}) => ({
      config: { ...config, ...over, model: { ...config.model, ...model } },
      data: { source: 'tokens', trainPath: path.join(dir, 'train.bin'), heldOutPath: path.join(dir, 'heldout.bin'), bosId: 1 },
      backend: 'reference',
    }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
