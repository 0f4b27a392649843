// The model the e2e tests expect in the Models view: the built-in demo (media/models/demo.gguf, which the
// extension registers itself) when it has been trained, otherwise a small generated llama model that the
// tests register through the modelLab.modelsDirectory setting.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTestModel } from '../../src/engine/synth/index.js';
import { repoRoot } from '../../scripts/e2e/setup.mjs';

export interface E2eModel {
  /** Text the model's row in the Models view (and its quick-pick item) contains. */
  name: string;
  /** The GGUF file's base name (the Inspect panel shows it). */
  file: string;
  /** Its path on disk. */
  path: string;
  /** Settings that register it. */
  settings: Record<string, unknown>;
  builtIn: boolean;
  dispose(): void;
}

export async function e2eModel(): Promise<E2eModel> {
  if (existsSync(path.join(repoRoot, 'media', 'models', 'demo.gguf'))) {
    const demo = path.join(repoRoot, 'media', 'models', 'demo.gguf');
    return { name: 'Demo', file: 'demo.gguf', path: demo, settings: {}, builtIn: true, dispose: () => {} };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-model-'));
  const file = path.join(dir, 'e2e-tiny-llama.gguf');
  await writeTestModel(file, { arch: 'llama', seed: 7 });
  return {
    name: 'e2e-tiny-llama',
    file: 'e2e-tiny-llama.gguf',
    path: file,
    settings: { 'modelLab.modelsDirectory': dir },
    builtIn: false,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
