// The rounding lives with the kernels: the WASM backend's integer matmul computes the same thing inside, and the
// reference backend's matmulRounded applies it in TypeScript.
export { roundLikeLlamaCpp } from '../../kernels/llamaCppRounding.js';
