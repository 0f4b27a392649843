// Generated test models (docs/dev/CONTRACTS.md).
export { writeTestModel, type TestModelArch, type TestModelInfo, type TestModelOptions, type TestWeightType } from './writeTestModel.js';
export { spmVocab, type SpmVocab } from './spmVocab.js';
export { bpeVocab, byteLevelChars, type BpeVocab } from './bpeVocab.js';
export { TOKEN_TYPE } from '../gguf/metadataKeys.js';
export { randomQuantBlocks } from './randomQuantBlocks.js';
export { CATALOG_REPLICA_IDS, catalogReplicaTypes, llama3RopeFreqs, writeCatalogReplica, type CatalogReplicaId, type CatalogReplicaOptions } from './writeCatalogReplica.js';
