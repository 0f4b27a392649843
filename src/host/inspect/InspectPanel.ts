import type { GgufFile } from '../../engine/gguf/types.js';
import type { InspectModel, InspectProtocol, InspectSpec } from '../../protocol/webviewInspect.js';
import { inspectIncoming } from '../../protocol/webviewInspect.js';
import { WebviewChannel } from '../panels/WebviewChannel.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import type { Disposable, PanelHandle } from '../vscodeApi/HostApi.js';
import { buildInspectModel, memoryShapeOf } from './buildInspectModel.js';
import { estimateMemory, type MemoryModelShape } from './estimateMemory.js';
import { chooseContextSize, DEFAULT_CONTEXT_SIZE } from '../../protocol/contextSize.js';
import { offloadableLayers } from '../../protocol/gpuLayers.js';

export interface InspectSource {
  file: GgufFile;
  spec: InspectSpec | null;
  specError: string | null;
}

/** Reads and validates a GGUF header; throws GgufFormatError (one line) for a bad file. */
export type ReadInspectSource = (filePath: string, signal: AbortSignal) => Promise<InspectSource>;

/**
 * One Inspect panel (a custom editor for a .gguf, or a panel opened by "Inspect Model"). The file is read once
 * the webview says it is ready; a bad file shows its one-line error.
 */
export class InspectPanel implements Disposable {
  readonly channel: WebviewChannel<InspectProtocol>;
  private shape: MemoryModelShape | null = null;
  private model: InspectModel | null = null;
  private loading: Promise<void> | null = null;
  private loadError: { code: string; message: string } | null = null;

  constructor(
    private readonly filePath: string,
    panel: PanelHandle,
    private readonly read: ReadInspectSource,
    log: (line: string) => void,
    /** modelLab.contextSize, for the estimate's starting context. */
    private readonly contextSetting: () => number = () => DEFAULT_CONTEXT_SIZE,
  ) {
    this.channel = new WebviewChannel<InspectProtocol>(
      panel,
      inspectIncoming,
      {
        requests: {
          'inspect/estimate': async ({ contextSize, gpuLayers }) => {
            await this.load();
            if (!this.shape) throw Object.assign(new Error('The model could not be read, so there is nothing to estimate.'), { code: 'NO_MODEL' });
            const max = offloadableLayers(this.shape.nLayer);
            if (gpuLayers > max) throw Object.assign(new Error(`GPU layers must be between 0 and ${max} for this model.`), { code: 'BAD_INPUT' });
            return estimateMemory(this.shape, contextSize, gpuLayers);
          },
        },
        onReady: () => void this.publish(),
      },
      log,
    );
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const src = await this.read(this.filePath, this.channel.signal);
        const model = buildInspectModel(src.file, this.filePath, src.spec, src.specError);
        this.shape = memoryShapeOf(model, src.file);
        const ctx = chooseContextSize(this.contextSetting(), src.spec?.contextLength ?? null);
        this.model = { ...model, defaultContextSize: ctx.size, contextNote: ctx.note, offloadableLayers: offloadableLayers(this.shape.nLayer) };
      } catch (e) {
        this.loadError = toErrorInfo(e);
      }
    })();
    return this.loading;
  }

  private async publish(): Promise<void> {
    await this.load();
    if (this.model) this.channel.notify('inspect/model', this.model);
    else this.channel.notify('inspect/error', this.loadError ?? { code: 'INTERNAL', message: 'The file could not be read.' });
  }

  dispose(): void {
    this.channel.dispose();
  }
}
