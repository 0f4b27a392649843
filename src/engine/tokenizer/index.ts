// Tokenizers our engine trains on and writes into GGUF files, matching llama.cpp token for token.
export { SpmTokenizer, TokenizerError } from './SpmTokenizer.js';
export { ENGINE_TOKENIZER_MODELS, engineTokenizes, type EncodeOptions, type TextTokenizer } from './TextTokenizer.js';
export { trainSpmVocab, type TrainSpmVocabOptions } from './trainSpmVocab.js';
export { splitIntoChunks } from './splitIntoChunks.js';
export { tokenizerGgufMetadata, tokenizerVocabFromGguf } from './tokenizerGguf.js';
export { partitionSpecial, type SpecialTokenText, type TextFragment } from './partitionSpecial.js';
export { TOKEN_TYPE, SPACE_MARK, byteTokenText, type TokenizerVocab } from './TokenizerVocab.js';
