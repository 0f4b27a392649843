import type { GgufFile } from '../../engine/gguf/types.js';
import type { InspectModel, InspectProtocol, InspectSpec } from '../../protocol/webviewInspect.js';
import { inspectIncoming } from '../../protocol/webviewInspect.js';
import { WebviewChannel } from '../panels/WebviewChannel.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import type { Disposable, PanelHandle } from '../vscodeApi/HostApi.js';
import { buildInspectModel, memoryShapeOf } from './buildInspectModel.js';
import { estimateMemory, type MemoryModelShape } from './estimateMemory.js';

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
  ) {
    this.channel = new WebviewChannel<InspectProtocol>(
      panel,
      inspectIncoming,
      {
        requests: {
          'inspect/estimate': async ({ contextSize, gpuLayers }) => {
            await this.load();
            if (!this.shape) throw Object.assign(new Error('The model could not be read, so there is nothing to estimate.'), { code: 'NO_MODEL' });
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
        this.model = buildInspectModel(src.file, this.filePath, src.spec, src.specError);
        this.shape = memoryShapeOf(this.model, src.file);
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
