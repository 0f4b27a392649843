// Models offered by "Download Model…". Pure data (no node-llama-cpp): the host reads it to build the picker.
// Sizes are approximate (for the free-disk message before the real size is known).

export interface CatalogModel {
  id: string;
  label: string;
  family: 'phi3' | 'qwen2' | 'llama';
  /** hf:<user>/<repo>/<file> — resolved without network by parseModelUri */
  uri: string;
  fileName: string;
  approxBytes: number;
  quantization: string;
  contextLength: number;
  recommended?: boolean;
  description: string;
}

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: 'phi-3-mini-4k-instruct-q4',
    label: 'Phi-3-mini-4k-instruct (Q4)',
    family: 'phi3',
    uri: 'hf:microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf',
    fileName: 'Phi-3-mini-4k-instruct-q4.gguf',
    approxBytes: 2_390_000_000,
    quantization: 'Q4_K (mixed with Q5_K, Q6_K)',
    contextLength: 4096,
    recommended: true,
    description: "Microsoft's 3.8B instruct model, 4-bit. The model Model Lab's pruning and tuning are built around.",
  },
  {
    id: 'phi-3-mini-4k-instruct-fp16',
    label: 'Phi-3-mini-4k-instruct (F16)',
    family: 'phi3',
    uri: 'hf:microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-fp16.gguf',
    fileName: 'Phi-3-mini-4k-instruct-fp16.gguf',
    approxBytes: 7_640_000_000,
    quantization: 'F16',
    contextLength: 4096,
    description: 'The same model at 16-bit: exact weights for pruning and adapter training; needs about 8 GB of memory.',
  },
  {
    id: 'qwen2.5-0.5b-instruct-q4_k_m',
    label: 'Qwen2.5-0.5B-Instruct (Q4_K_M)',
    family: 'qwen2',
    uri: 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf',
    fileName: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
    approxBytes: 491_000_000,
    quantization: 'Q4_K_M',
    contextLength: 32768,
    description: 'A small, fast Qwen2.5 chat model: quick experiments on any machine.',
  },
  {
    id: 'llama-3.2-1b-instruct-q4_k_m',
    label: 'Llama-3.2-1B-Instruct (Q4_K_M)',
    family: 'llama',
    uri: 'hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
    fileName: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
    approxBytes: 807_694_464,
    quantization: 'Q4_K_M',
    contextLength: 131072,
    description: "Meta's 1B Llama 3.2 instruct model (community GGUF conversion by bartowski).",
  },
];

export function catalogModel(id: string): CatalogModel | undefined {
  return MODEL_CATALOG.find((m) => m.id === id);
}
