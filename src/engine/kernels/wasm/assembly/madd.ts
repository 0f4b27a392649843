/** c + a·b on 4 lanes: one fused multiply-add where the build enables relaxed SIMD (kernels-relaxed.wasm). */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
