import path from 'node:path';
import type { HostApi, SettingValues } from '../vscodeApi/HostApi.js';
import { DEFAULT_CONTEXT_SIZE } from '../../protocol/contextSize.js';

import { GPU_SETTINGS, type GpuSetting } from '../../protocol/runtime.js';

export type { GpuSetting };

export interface ModelLabSettings {
  /** Absolute folder scanned for models and used for downloads; null: global storage only. */
  modelsDirectory: string | null;
  /** Absolute data folder (preferences, variants, runs, evals); null without a trusted workspace. */
  dataDirectory: string | null;
  /** Whether workspace folders may be scanned for *.gguf files. */
  scanWorkspace: boolean;
  gpu: GpuSetting;
  gpuLayers: 'auto' | number;
  threads: number;
  contextSize: number;
  trusted: boolean;
}

/** Effective value: in an untrusted workspace, values a workspace set are ignored and only user settings count. */
function effective<T>(v: SettingValues<T>, trusted: boolean): T | undefined {
  if (trusted) return v.workspaceFolderValue ?? v.workspaceValue ?? v.globalValue ?? v.defaultValue;
  return v.globalValue ?? v.defaultValue;
}

/**
 * Reads the `modelLab.*` settings.
 *
 * Workspace trust: in an untrusted workspace no folder named by a workspace setting is used, the workspace is not
 * scanned and its data directory is not read (a cloned repository must not make us open files it chose).
 *
 * `modelsDirectory` has the default (window) scope, so the Settings UI shows it under User as well as Remote: a
 * machine-scoped setting was only visible under Remote, where a new user looking for the downloads did not find it.
 */
export function readSettings(ws: HostApi['workspace']): ModelLabSettings {
  const trusted = ws.isTrusted();
  const folders = ws.folders();
  const get = <T>(k: string) => effective(ws.setting<T>(k), trusted);

  const modelsRaw = get<string>('modelsDirectory');
  let modelsDirectory: string | null = null;
  if (typeof modelsRaw === 'string' && modelsRaw.trim() !== '') {
    const expanded = modelsRaw.trim().replace(/^~(?=$|[\\/])/, process.env.HOME ?? process.env.USERPROFILE ?? '~');
    if (path.isAbsolute(expanded)) modelsDirectory = path.normalize(expanded);
    else if (trusted && folders[0]) modelsDirectory = path.resolve(folders[0], expanded);
  }

  let dataDirectory: string | null = null;
  const dataRaw = get<string>('dataDirectory');
  if (trusted && folders[0]) {
    const rel = typeof dataRaw === 'string' && dataRaw.trim() !== '' ? dataRaw.trim() : '.model-lab';
    dataDirectory = path.resolve(folders[0], rel);
  }

  const gpuRaw = get<string>('gpu');
  const gpu = (GPU_SETTINGS as readonly string[]).includes(gpuRaw as GpuSetting) ? (gpuRaw as GpuSetting) : 'auto';
  const layersRaw = get<string | number>('gpuLayers');
  const gpuLayers =
    typeof layersRaw === 'number' && Number.isInteger(layersRaw) && layersRaw >= 0
      ? layersRaw
      : typeof layersRaw === 'string' && /^\d+$/.test(layersRaw.trim())
        ? Number(layersRaw.trim())
        : 'auto';
  const threadsRaw = get<number>('threads');
  const threads = typeof threadsRaw === 'number' && Number.isInteger(threadsRaw) && threadsRaw > 0 ? threadsRaw : 0;
  const ctxRaw = get<number>('contextSize');
  const contextSize = typeof ctxRaw === 'number' && Number.isInteger(ctxRaw) && ctxRaw >= 128 ? ctxRaw : DEFAULT_CONTEXT_SIZE;

  return { modelsDirectory, dataDirectory, scanWorkspace: trusted && folders.length > 0, gpu, gpuLayers, threads, contextSize, trusted };
}
