import { ModelLabError } from '../../engine/errors.js';
import { readGguf, modelSpecFromGguf } from '../../engine/gguf/index.js';
import type { GgufFile } from '../../engine/gguf/types.js';
import type { InspectSource } from '../inspect/InspectPanel.js';
import { isLoraAdapter } from '../../engine/gguf/checkAdapter.js';
import { ADAPTER_FILE_TYPE, GENERAL } from '../../engine/gguf/metadataKeys.js';

/** Reads a header with our validating reader; file-system problems become one-line ModelLabErrors too. */
async function readChecked(filePath: string, signal?: AbortSignal): Promise<GgufFile> {
  try {
    return await readGguf(filePath, { signal });
  } catch (e) {
    if (e instanceof ModelLabError) throw e;
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') throw new ModelLabError('FILE_NOT_FOUND', 'The file does not exist.');
    if (code === 'EISDIR') throw new ModelLabError('NOT_A_FILE', 'That is a folder, not a .gguf file.');
    if (code === 'EACCES' || code === 'EPERM') throw new ModelLabError('FILE_NOT_READABLE', 'The file cannot be read (permission denied).');
    throw new ModelLabError('FILE_NOT_READABLE', `The file cannot be read: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** A model llama.cpp can load: a valid GGUF that is not an adapter and has tensors. */
export async function checkModelFile(filePath: string, signal?: AbortSignal): Promise<void> {
  const f = await readChecked(filePath, signal);
  if (f.metadata[GENERAL.type] === ADAPTER_FILE_TYPE) {
    throw new ModelLabError('MODEL_IS_ADAPTER', 'This is a LoRA adapter, not a model: choose it as an adapter in the Playground.');
  }
  if (f.tensors.length === 0) throw new ModelLabError('MODEL_EMPTY', 'The file has no tensors.');
}

/** A LoRA adapter GGUF (`general.type = adapter`); the runtime also checks it against the base model. */
export async function checkAdapterFile(filePath: string, signal?: AbortSignal): Promise<void> {
  const f = await readChecked(filePath, signal);
  if (!isLoraAdapter(f.metadata)) {
    throw new ModelLabError('NOT_AN_ADAPTER', 'This file is not a LoRA adapter (general.type must be "adapter" and adapter.type "lora").');
  }
}

/** What the Inspect panel shows; the spec is optional (an architecture we do not model still inspects). */
export async function readInspectSource(filePath: string, signal: AbortSignal): Promise<InspectSource> {
  const file = await readChecked(filePath, signal);
  if (file.metadata[GENERAL.type] === ADAPTER_FILE_TYPE) return { file, spec: null, specError: 'A LoRA adapter: it has no model spec of its own.' };
  try {
    const s = modelSpecFromGguf(file);
    return {
      file,
      spec: {
        architecture: s.architecture,
        nEmbd: s.nEmbd,
        nLayer: s.nLayer,
        nHead: s.nHead,
        nHeadKv: s.nHeadKv,
        nFf: s.nFf,
        nVocab: s.nVocab,
        contextLength: s.contextLength,
        ropeType: s.ropeType,
        ropeBase: s.ropeBase,
        ropeDims: s.ropeDims,
        normEps: s.normEps,
        tiedOutput: s.tiedOutput,
        headDim: s.headDim,
      },
      specError: null,
    };
  } catch (e) {
    return { file, spec: null, specError: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}
