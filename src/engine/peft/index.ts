// PEFT interchange for LoRA adapters: llama.cpp adapter GGUF ⇄ adapter_model.safetensors + adapter_config.json.
export { exportPeft } from './exportPeft.js';
export { importPeft } from './importPeft.js';
export { PEFT_MODULES, ropeRowPermutation } from './peftNames.js';
export { readSafetensors, writeSafetensors, type SafeTensor } from './safetensors.js';
