/**
 * The Model Lab transformer engine (llama, phi3, qwen2): forward, backward, LoRA, FFN mask scores, in pure
 * TypeScript on a KernelBackend (src/engine/kernels). Optimizers live in src/engine/optim, losses in src/engine/loss.
 *
 * ## Build or load a model
 *   createRandomModel(cfg, backend?)        fresh model, every weight dense F32 (llama; phi3/qwen2 layouts too)
 *   saveModelGguf(model, path, {metadata})   write it as GGUF for llama.cpp (pass tokenizer.* keys in metadata)
 *   loadEngineModel(path, {backend, dense})  GGUF → EngineModel; weights stay in their stored type on the
 *                                            backend, unless dense: true (F32 copy, for full-weight training)
 *   model.dispose()                          frees the weights (and the backend when the model created it)
 *
 * ## Run it
 *   const batch = makeBatch([[1, 5, 9], [4, 4, 8, 1]])   sequences concatenated; row t predicts the next token
 *   batchLogprobs(model, batch, opts) → Float32Array [N]  log p(next token) per row (NaN on each last row)
 *   tokenLogprobs(modelPath, tokens, {threads, signal})  CONTRACTS.md: n−1 natural-log probs of tokens[1…]
 *   modelForward / modelBackward / headLoss              the pieces, for new objectives
 *
 * ## Train
 *   Full weights (demo model):
 *     const model = createRandomModel({ nVocab, nEmbd: 128, nLayer: 4, nHead: 4, nFf: 344, seed: 1 });
 *     const params = model.enableFullTraining();
 *     const opt = new AdamW(params, { lr: 3e-3, weightDecay: 0.1 });   const lr = warmupCosine({ … });
 *     for (let step = 0; step < T; step++) {
 *       opt.zeroGrad();
 *       const batch = makeBatch(seqs);
 *       const { loss } = lossAndGrad(model, batch, { weights: nllWeights(batch, masks) }, { signal });
 *       clipGradNorm(params, 1.0);  opt.step(lr(step));
 *     }
 *     await saveModelGguf(model, 'demo.gguf', { metadata: tokenizerEntries });
 *   LoRA (base frozen in its stored type):
 *     const lora = LoraAdapter.create(model, { r: 8, alpha: 16, targets: ['attn_q', 'attn_v', 'ffn_up'] });
 *     lossAndGrad(model, batch, objective, { lora });   optimizer on lora.parameters()
 *     lora.enabled = false → the reference model (Hydra: no second copy), e.g. for DPO reference log-probs.
    LoRA dropout (PEFT's lora_dropout): lora.dropout = p, and lossAndGrad(…, { lora, loraDropoutSeed }) per pass.
 *     saveLoraGguf(lora, model, 'adapter.gguf') → llama.cpp's adapter format (createContext({ lora })); loadLoraGguf back.
 *   DPO / IPO: preferenceObjective(batch, pairs, { kind: 'dpo', beta: 0.1, masks }) as the objective.
 *   FFN mask scores (movement / GUM): ffnMask = hardMaskFromScores(scores, keep) per layer ([F] 0/1 gates),
 *     ffnMaskGrad = one zeroed [F] array per layer; after lossAndGrad(…, { ffnMask, ffnMaskGrad }) each
 *     ffnMaskGrad[l][i] holds Σ_t dL/dh'·h = Σ_j dL/dW'_ij·W_ij (straight-through score gradient).
 *   FFN activations: { captureFfn: (layer, h, N) => … } receives h = silu(gate)·up·mask, [N, F].
 *   Memory: { recompute: true } keeps only each block's input and recomputes the block in the backward; false keeps
 *     every block's activations (one forward less); 'auto' (default) keeps them up to KEEP_ACTIVATION_BYTES (256 MiB).
 *     Training passes keep their arrays in the kernels' memory (KernelArena), freed block by block.
 *   Every call takes { signal, onProgress }.
 */
export { EngineModel, type EngineSpec, type LayerWeights, type NormWeight, type Param } from './EngineModel.js';
export { EngineModelError } from './EngineModelError.js';
export { createRandomModel, type RandomModelConfig } from './createRandomModel.js';
export { saveModelGguf, type SaveModelOptions } from './saveModelGguf.js';
export { loadEngineModel, ENGINE_ARCHITECTURES, type LoadEngineModelOptions } from './loadEngineModel.js';
export { checkEngineModelFile } from './checkEngineSupport.js';
export { LoraAdapter, type LoraOptions, type LoraTarget } from './LoraAdapter.js';
export { loadLoraGguf, saveLoraGguf } from './loraGguf.js';
export {
  batchLogprobs, lossAndGrad, makeBatch, modelBackward, modelForward,
  type ForwardOptions, type ForwardState, type Objective, type TokenBatch,
} from './modelForward.js';
export { headLoss, headLogits } from './ops/head.js';
export type { Linear, LoraPair } from './ops/linear.js';
export { loraDropout, loraDropoutSeed, type LoraDropout } from './ops/loraDropout.js';
export type { SeqSpan } from './ops/attention.js';
export { tokenLogprobs, type TokenLogprobsOptions } from './tokenLogprobs.js';
export { hardMaskFromScores } from './hardMaskFromScores.js';
