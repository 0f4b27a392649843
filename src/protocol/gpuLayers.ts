// One definition of "GPU layers" for every place that shows or takes the number (status bar, load messages,
// Inspect's memory estimate, the modelLab.gpuLayers setting): llama.cpp's n_gpu_layers, which counts the
// transformer blocks and then the output layer as one more. A model with N blocks has N + 1 offloadable layers;
// offloading N leaves the output layer on the CPU.

/** Offloadable layers of a model with `blockCount` transformer blocks. */
export function offloadableLayers(blockCount: number): number {
  return Math.max(0, Math.floor(blockCount)) + 1;
}
