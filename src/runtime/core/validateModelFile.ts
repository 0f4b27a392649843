// Every file passes our own GGUF reader before llama.cpp sees it: a malformed file must give a typed error,
// never a native abort that takes the runtime process down.
import { readGguf, type GgufFile } from '../../engine/gguf/index.js';
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
  if (md['general.type'] === 'adapter') {
    throw new ModelFileError(path, 'is a LoRA adapter, not a model: load it as an adapter of its base model');
  }
  if (typeof md['general.architecture'] !== 'string') throw new ModelFileError(path, 'has no general.architecture');
  if (file.tensors.length === 0) throw new ModelFileError(path, 'has no tensors');
  if (!('tokenizer.ggml.tokens' in md)) throw new ModelFileError(path, 'has no tokenizer (tokenizer.ggml.tokens)');
  return file;
}

/**
 * Validates a LoRA adapter against the model it will be applied to: right kind of file, same architecture,
 * and every A/B pair shaped for the base tensor it adapts (a mismatch is a llama.cpp failure, sometimes an abort).
 */
export async function validateAdapterFile(path: string, base: GgufFile, signal?: AbortSignal): Promise<GgufFile> {
  const file = await readChecked(path, signal);
  const md = file.metadata;
  if (md['general.type'] !== 'adapter' || md['adapter.type'] !== 'lora') {
    throw new ModelFileError(path, "is not a LoRA adapter (needs general.type 'adapter' and adapter.type 'lora')");
  }
  const arch = md['general.architecture'];
  const baseArch = base.metadata['general.architecture'];
  if (arch !== baseArch) throw new ModelFileError(path, `is an adapter for '${String(arch)}' models, but the model is '${String(baseArch)}'`);

  const baseShapes = new Map(base.tensors.map((t) => [t.name, t.shape]));
  const parts = new Map<string, { a?: number[]; b?: number[] }>();
  for (const t of file.tensors) {
    const m = /^(.*)\.lora_(a|b)$/.exec(t.name);
    if (!m) continue;
    const entry = parts.get(m[1]!) ?? {};
    entry[m[2] as 'a' | 'b'] = t.shape;
    parts.set(m[1]!, entry);
  }
  if (parts.size === 0) throw new ModelFileError(path, 'has no .lora_a/.lora_b tensors');
  for (const [name, { a, b }] of parts) {
    if (!a || !b) throw new ModelFileError(path, `${name} has only one of lora_a / lora_b`);
    const w = baseShapes.get(name);
    if (!w) throw new ModelFileError(path, `adapts ${name}, which the model does not have`);
    // W ne [n_in, n_out]; A ne [n_in, r]; B ne [r, n_out]
    const [nIn, nOut] = [w[0], w[1]];
    if (a.length !== 2 || b.length !== 2 || a[0] !== nIn || b[1] !== nOut || a[1] !== b[0]) {
      throw new ModelFileError(
        path,
        `${name}: lora_a [${a}] and lora_b [${b}] do not fit the model tensor [${w}] (want A [${nIn}, r], B [r, ${nOut}])`,
      );
    }
  }
  return file;
}
