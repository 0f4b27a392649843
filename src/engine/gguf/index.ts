// Public API of the GGUF library (docs/dev/CONTRACTS.md). Read: readGguf (header only, validated) → GgufFile;
// readTensorBytes / tensorDataStream for data; modelSpecFromGguf, summarizeGguf. Write: GgufWriter or writeGguf;
// rewrite a file with rewriteGguf (streamed: copy, slice, split or replace tensors; atomic; never over the source).
export { readGguf } from './readGguf.js';
export { parseGgufHeader, GGUF_DEFAULT_ALIGNMENT } from './parseGgufHeader.js';
export { readTensorBytes } from './readTensorBytes.js';
export { GgufTensorReader } from './GgufTensorReader.js';
export { GgufFormatError } from './GgufFormatError.js';
export { modelSpecFromGguf, type ModelSpec } from './ModelSpec.js';
export { GgufWriter, memorySink, type ByteSink, type TensorDataSource } from './GgufWriter.js';
export { writeGguf, type GgufTensorToWrite } from './writeGguf.js';
export { MAX_LAYERS } from './validateGguf.js';
export {
  GGUF_VALUE_TYPE,
  type GgufFile,
  type GgufMetadataEntry,
  type GgufTensorInfo,
  type GgufValue,
  type GgufValueTypeId,
  type GgufValueTypeInfo,
} from './types.js';
export { metadataEntries } from './metadataEntries.js';
export { tensorDataStream } from './tensorDataStream.js';
export { rewriteGguf, assertNotSameFile, RewriteSource, type GgufRewrite, type RewriteOptions, type RewriteResult, type RewrittenTensor } from './rewriteGguf.js';
export { summarizeGguf, type GgufSummary, type JsonValue } from './summarizeGguf.js';
