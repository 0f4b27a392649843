import type { MemoryEstimate } from '../../protocol/webviewInspect.js';

export interface MemoryModelShape {
  tensors: Array<{ name: string; bytes: number }>;
  /** transformer blocks */
  nLayer: number;
  nHeadKv: number;
  /** per-head dimension of K and V */
  headDim: number;
}

const BLOCK = /^blk\.(\d+)\./;
/** Tensors llama.cpp puts with the output layer (offloaded only when every block is). */
const OUTPUT = new Set(['output.weight', 'output_norm.weight', 'output_norm.bias', 'output.bias']);

/**
 * Weights + KV cache for a context size and a number of GPU layers, as llama.cpp places them: the last
 * `gpuLayers` blocks go to the GPU, the output layer too once gpuLayers > nLayer, the token embedding stays on the
 * CPU. The KV cache is F16: per token and layer 2 (K and V) × nHeadKv × headDim × 2 bytes, on the device of its
 * layer. Compute buffers are not counted (they depend on the batch size).
 */
export function estimateMemory(shape: MemoryModelShape, contextSize: number, gpuLayers: number, kvBytesPerElement = 2): MemoryEstimate {
  const nLayer = Math.max(0, Math.floor(shape.nLayer));
  const offloaded = Math.max(0, Math.min(Math.floor(gpuLayers), nLayer + 1));
  const blocksOnGpu = Math.min(offloaded, nLayer);
  const firstGpuBlock = nLayer - blocksOnGpu;
  const outputOnGpu = offloaded > nLayer;

  let cpu = 0;
  let gpu = 0;
  for (const t of shape.tensors) {
    const m = BLOCK.exec(t.name);
    const onGpu = m ? Number(m[1]) >= firstGpuBlock : OUTPUT.has(t.name) && outputOnGpu;
    if (onGpu) gpu += t.bytes;
    else cpu += t.bytes;
  }

  const perLayerPerToken = 2 * shape.nHeadKv * shape.headDim * kvBytesPerElement;
  const kvGpu = perLayerPerToken * contextSize * blocksOnGpu;
  const kvCpu = perLayerPerToken * contextSize * (nLayer - blocksOnGpu);
  return {
    contextSize,
    gpuLayers: offloaded,
    weights: { cpuBytes: cpu, gpuBytes: gpu },
    kvCache: { cpuBytes: kvCpu, gpuBytes: kvGpu, bytesPerToken: perLayerPerToken * nLayer },
    totalCpuBytes: cpu + kvCpu,
    totalGpuBytes: gpu + kvGpu,
  };
}
