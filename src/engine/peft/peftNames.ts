/**
 * Hugging Face module names of the projections llama.cpp names by suffix, per architecture: PEFT adapters name
 * `base_model.model.model.layers.<i>.<module>.lora_A.weight`. phi3's fused projections map one to one.
 */
export const PEFT_MODULES: Record<string, Record<string, string>> = {
  llama: { attn_q: 'self_attn.q_proj', attn_k: 'self_attn.k_proj', attn_v: 'self_attn.v_proj', attn_output: 'self_attn.o_proj', ffn_gate: 'mlp.gate_proj', ffn_up: 'mlp.up_proj', ffn_down: 'mlp.down_proj' },
  qwen2: { attn_q: 'self_attn.q_proj', attn_k: 'self_attn.k_proj', attn_v: 'self_attn.v_proj', attn_output: 'self_attn.o_proj', ffn_gate: 'mlp.gate_proj', ffn_up: 'mlp.up_proj', ffn_down: 'mlp.down_proj' },
  phi3: { attn_qkv: 'self_attn.qkv_proj', attn_output: 'self_attn.o_proj', ffn_up: 'mlp.gate_up_proj', ffn_down: 'mlp.down_proj' },
};

/**
 * llama's GGUF stores attn_q / attn_k rows reordered for its rope layout: within each head of D rows, Hugging Face
 * keeps the two rotated halves apart (row s·D/2 + j) where GGUF interleaves them (row 2j + s). Only the rows (the
 * output side, i.e. LoRA B) move. Heads: n_head for q, n_head_kv for k.
 */
export function ropeRowPermutation(rows: number, heads: number, toHf: boolean): Int32Array {
  const D = rows / heads, half = D / 2;
  const src = new Int32Array(rows);
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < 2; s++) {
      for (let j = 0; j < half; j++) {
        const hf = h * D + s * half + j, gguf = h * D + 2 * j + s;
        if (toHf) src[hf] = gguf; else src[gguf] = hf;
      }
    }
  }
  return src; // out row r takes in row src[r]
}

export function permuteRows(data: Float32Array, cols: number, src: Int32Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < src.length; r++) out.set(data.subarray(src[r]! * cols, (src[r]! + 1) * cols), r * cols);
  return out;
}
