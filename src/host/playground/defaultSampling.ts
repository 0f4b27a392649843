import type { SamplingSettings } from '../../protocol/webviewPlayground.js';

export const DEFAULT_SAMPLING: SamplingSettings = { temperature: 0.7, topP: 0.9, topK: 40, maxTokens: 256 };
