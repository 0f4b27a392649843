/**
 * The one table of GGML tensor types: id, name, values per block and bytes per block. Ids are stable in the GGUF
 * format (removed types keep their id as a gap). A tensor's ne0 must be a multiple of its block size, and each row
 * of ne0 values takes ne0 / blockSize · typeSize bytes.
 */
export interface GgmlTypeTraits {
  id: number;
  name: string;
  /** values per block */
  blockSize: number;
  /** bytes per block */
  typeSize: number;
}

const table: Array<[number, string, number, number]> = [
  [0, 'F32', 1, 4],
  [1, 'F16', 1, 2],
  [2, 'Q4_0', 32, 18],
  [3, 'Q4_1', 32, 20],
  [6, 'Q5_0', 32, 22],
  [7, 'Q5_1', 32, 24],
  [8, 'Q8_0', 32, 34],
  [9, 'Q8_1', 32, 36],
  [10, 'Q2_K', 256, 84],
  [11, 'Q3_K', 256, 110],
  [12, 'Q4_K', 256, 144],
  [13, 'Q5_K', 256, 176],
  [14, 'Q6_K', 256, 210],
  [15, 'Q8_K', 256, 292],
  [16, 'IQ2_XXS', 256, 66],
  [17, 'IQ2_XS', 256, 74],
  [18, 'IQ3_XXS', 256, 98],
  [19, 'IQ1_S', 256, 50],
  [20, 'IQ4_NL', 32, 18],
  [21, 'IQ3_S', 256, 110],
  [22, 'IQ2_S', 256, 82],
  [23, 'IQ4_XS', 256, 136],
  [24, 'I8', 1, 1],
  [25, 'I16', 1, 2],
  [26, 'I32', 1, 4],
  [27, 'I64', 1, 8],
  [28, 'F64', 1, 8],
  [29, 'IQ1_M', 256, 56],
  [30, 'BF16', 1, 2],
  [34, 'TQ1_0', 256, 54],
  [35, 'TQ2_0', 256, 66],
  [39, 'MXFP4', 32, 17],
  [40, 'NVFP4', 64, 36],
  [41, 'Q1_0', 128, 18],
  // 42 Q2_0 is left out: its block size is not confirmed, and a wrong size would misreport tensor bytes
];

export const GGML_TYPES: Readonly<Record<number, Readonly<GgmlTypeTraits>>> = Object.freeze(
  Object.fromEntries(table.map(([id, name, blockSize, typeSize]) => [id, Object.freeze({ id, name, blockSize, typeSize })])),
);

/** Type ids by name, e.g. GGML_TYPE.Q4_K === 12. */
export const GGML_TYPE = Object.freeze(Object.fromEntries(table.map(([id, name]) => [name, id]))) as Readonly<
  Record<string, number>
> & { readonly F32: 0; readonly F16: 1; readonly Q4_0: 2; readonly Q4_1: 3; readonly Q5_0: 6; readonly Q5_1: 7;
  readonly Q8_0: 8; readonly Q2_K: 10; readonly Q3_K: 11; readonly Q4_K: 12; readonly Q5_K: 13; readonly Q6_K: 14;
  readonly BF16: 30 };

/** The GGML type id for a name such as 'Q4_K' (case-insensitive); throws RangeError for an unknown name. */
export function ggmlTypeByName(name: string): number {
  const id = GGML_TYPE[name.toUpperCase()];
  if (id === undefined) throw new RangeError(`unknown GGML type '${name}'`);
  return id;
}

/** The traits of a type id, or undefined when the id is not a known type. */
export function ggmlTypeTraits(type: number): Readonly<GgmlTypeTraits> | undefined {
  return Object.hasOwn(GGML_TYPES, type) ? GGML_TYPES[type] : undefined;
}

/** Bytes taken by `elements` values of a type (elements must be a multiple of the block size). */
export function ggmlTensorBytes(type: number, elements: number): number {
  const t = ggmlTypeTraits(type);
  if (!t) throw new RangeError(`unknown GGML type id ${type}`);
  if (elements % t.blockSize !== 0) throw new RangeError(`${elements} values is not a whole number of ${t.name} blocks (${t.blockSize})`);
  return (elements / t.blockSize) * t.typeSize;
}
