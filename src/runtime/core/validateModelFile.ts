// Every file passes our own GGUF reader before llama.cpp sees it: a malformed file must give a typed error,
// never a native abort that takes the runtime process down.
import { isLoraAdapter, loraAdapterProblems } from '../../engine/gguf/checkAdapter.js';
import { readGguf, type GgufFile } from '../../engine/gguf/index.js';
import { ADAPTER_FILE_TYPE, GENERAL, TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import { ModelLabError } from '../../engine/errors.js';
import { ModelFileError } from '../errors.js';

async function readChecked(path: string, signal?: AbortSignal): Promise<GgufFile> {
  try {
    return await readGguf(path, { signal });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'ENOENT') throw new ModelFileError(path, 'file not found');
    if (e?.code === 'EISDIR') throw new ModelFileError(path, 'is a directory, not a .gguf file');
    if (err instanceof ModelLabError) throw new ModelFileError(path, `not a valid GGUF file: ${err.message}`);
    throw new ModelFileError(path, `cannot be read: ${e?.message ?? String(err)}`);
  }
}

/** Validates a model file (not an adapter). Returns the parsed header for later checks (adapters, info). */
export async function validateModelFile(path: string, signal?: AbortSignal): Promise<GgufFile> {
  const file = await readChecked(path, signal);
  const md = file.metadata;
  if (md[GENERAL.type] === ADAPTER_FILE_TYPE) {
    throw new ModelFileError(path, 'is a LoRA adapter, not a model: load it as an adapter of its base model');
  }
  if (typeof md[GENERAL.architecture] !== 'string') throw new ModelFileError(path, 'has no general.architecture');
  if (file.tensors.length === 0) throw new ModelFileError(path, 'has no tensors');
  if (!(TOKENIZER.tokens in md)) throw new ModelFileError(path, 'has no tokenizer (tokenizer.ggml.tokens)');
  return file;
}

/**
 * Validates a LoRA adapter against the model it will be applied to: right kind of file, same architecture,
 * and every A/B pair shaped for the base tensor it adapts (a mismatch is a llama.cpp failure, sometimes an abort):
 * the engine's one adapter check, loraAdapterProblems, given the base model's shapes.
 */
export async function validateAdapterFile(path: string, base: GgufFile, signal?: AbortSignal): Promise<GgufFile> {
  const file = await readChecked(path, signal);
  const md = file.metadata;
  if (!isLoraAdapter(md)) {
    throw new ModelFileError(path, "is not a LoRA adapter (needs general.type 'adapter' and adapter.type 'lora')");
  }
  const arch = md[GENERAL.architecture];
  const baseArch = base.metadata[GENERAL.architecture];
  if (arch !== baseArch) throw new ModelFileError(path, `is an adapter for '${String(arch)}' models, but the model is '${String(baseArch)}'`);
  const { problems } = loraAdapterProblems(file, new Map(base.tensors.map((t) => [t.name, t.shape])));
  if (problems.length > 0) throw new ModelFileError(path, problems[0]);
  return file;
}
