/** Messages of the Inspect panel (GGUF inspector custom editor and "Model Lab: Inspect Model"). */
import { num, obj, type IncomingSchemas } from './webviewSchema.js';

export interface InspectTensorRow {
  name: string;
  type: string;
  /** ne order, innermost first */
  shape: number[];
  elements: number;
  bytes: number;
  offset: number;
  /** Transformer block index, or null for token embedding, output, norms outside blocks. */
  layer: number | null;
}

export interface QuantMixEntry {
  type: string;
  tensors: number;
  bytes: number;
  /** share of all tensor bytes, 0…1 */
  fraction: number;
}

export interface InspectSpec {
  architecture: string;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number | number[];
  nVocab: number;
  contextLength: number;
  ropeType: string;
  ropeBase: number;
  ropeDims: number;
  normEps: number;
  tiedOutput: boolean;
  headDim: number;
}

export interface InspectModel {
  fileName: string;
  filePath: string;
  fileBytes: number;
  version: number;
  name: string | null;
  architecture: string;
  /** null when the architecture is not one we understand (it still inspects) */
  spec: InspectSpec | null;
  specError: string | null;
  parameters: number;
  tokenizer: { model: string | null; tokens: number | null; bos: number | null; eos: number | null };
  chatTemplate: string | null;
  quantMix: QuantMixEntry[];
  tensors: InspectTensorRow[];
  /** Selected metadata as display strings (long arrays summarised). */
  metadata: Array<{ key: string; value: string }>;
  warnings: string[];
  /** The memory estimate's starting context: chooseContextSize(modelLab.contextSize, trained context). */
  defaultContextSize?: number;
  /** Set when modelLab.contextSize is more than the model's trained context. */
  contextNote?: string | null;
  /** GPU layers the estimate accepts: 0…offloadableLayers (src/protocol/gpuLayers.ts). */
  offloadableLayers?: number;
}

export interface MemoryEstimate {
  contextSize: number;
  gpuLayers: number;
  weights: { cpuBytes: number; gpuBytes: number };
  kvCache: { cpuBytes: number; gpuBytes: number; bytesPerToken: number };
  totalCpuBytes: number;
  totalGpuBytes: number;
}

export interface InspectProtocol {
  requests: {
    'inspect/estimate': { params: { contextSize: number; gpuLayers: number }; result: MemoryEstimate };
  };
  toWebview: {
    'inspect/model': InspectModel;
    /** One line (GgufFormatError message), never a stack trace. */
    'inspect/error': { code: string; message: string };
  };
  toHost: Record<string, never>;
}

export const inspectIncoming: IncomingSchemas = {
  requests: {
    'inspect/estimate': obj({
      contextSize: num({ min: 1, max: 16_777_216, integer: true }),
      gpuLayers: num({ min: 0, max: 100_000, integer: true }),
    }),
  },
  notifications: {},
};
