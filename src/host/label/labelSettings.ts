import type { HostApi } from '../vscodeApi/HostApi.js';
import { DEFAULT_INSTRUCTION } from './buildAlternativesPrompt.js';

/** `modelLab.label.*`: how Generate Alternatives samples and prompts. */
export interface LabelSettings {
  candidates: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  instruction: string;
  blind: boolean;
  /** Inline suggestions from the local model while typing, with accept / thumbs down stored as feedback. */
  inlineSuggestions: boolean;
}

export const LABEL_DEFAULTS: LabelSettings = { candidates: 4, temperature: 0.8, topP: 0.95, maxTokens: 96, instruction: DEFAULT_INSTRUCTION, blind: false, inlineSuggestions: false };

export function readLabelSettings(ws: HostApi['workspace']): LabelSettings {
  const get = <T>(k: keyof LabelSettings): T | undefined => {
    const v = ws.setting<T>(`label.${k}`);
    // Sampling choices are harmless, so a workspace value counts even when untrusted.
    return v.workspaceFolderValue ?? v.workspaceValue ?? v.globalValue ?? v.defaultValue;
  };
  const n = (k: 'candidates' | 'temperature' | 'topP' | 'maxTokens', min: number, max: number): number => {
    const v = get<number>(k);
    return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : LABEL_DEFAULTS[k];
  };
  const instruction = get<string>('instruction');
  return {
    candidates: Math.round(n('candidates', 2, 9)),
    temperature: n('temperature', 0, 5),
    topP: n('topP', 0, 1),
    maxTokens: Math.round(n('maxTokens', 1, 4096)),
    instruction: typeof instruction === 'string' && instruction.trim() ? instruction : DEFAULT_INSTRUCTION,
    blind: get<boolean>('blind') === true,
    inlineSuggestions: get<boolean>('inlineSuggestions') === true,
  };
}
