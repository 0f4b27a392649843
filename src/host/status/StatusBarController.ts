import type { Disposable, StatusItem } from '../vscodeApi/HostApi.js';
import type { LoadedState, RuntimeService } from '../runtime/RuntimeService.js';
import { formatBytes } from '../../protocol/formatBytes.js';

const BACKEND_NAMES: Record<string, string> = { cpu: 'CPU', cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal' };

export const backendLabel = (b: string): string => BACKEND_NAMES[b.toLowerCase()] ?? b;

/** Status bar text for what is loaded: "$(chip) Phi-3 · CUDA · 33/33 layers · 2.4 GB". */
export function formatStatus(loaded: LoadedState[]): { text: string; tooltip: string } | null {
  if (loaded.length === 0) return null;
  const first = loaded[0];
  const i = first.info;
  const parts = [first.name, backendLabel(i.backend)];
  if (i.gpuLayers !== null && i.backend.toLowerCase() !== 'cpu') parts.push(i.totalLayers !== null ? `${i.gpuLayers}/${i.totalLayers} layers` : `${i.gpuLayers} layers`);
  if (i.memoryBytes !== null) parts.push(formatBytes(i.memoryBytes));
  const more = loaded.length > 1 ? ` (+${loaded.length - 1})` : '';
  const tooltip = loaded
    .map((s) => {
      const x = s.info;
      const layers = x.gpuLayers === null ? 'unknown' : `${x.gpuLayers}${x.totalLayers !== null ? ` of ${x.totalLayers}` : ''}`;
      const fallback = x.fallback ? `\n  GPU fallback: ${x.fallback}` : '';
      return `${s.name}\n  file: ${x.path}\n  backend: ${backendLabel(x.backend)}${fallback}\n  GPU layers: ${layers}\n  memory: ${x.memoryBytes === null ? 'unknown' : formatBytes(x.memoryBytes)}`;
    })
    .join('\n');
  return { text: `$(chip) ${parts.join(' · ')}${more}`, tooltip: `Model Lab — loaded models\n${tooltip}` };
}

export class StatusBarController implements Disposable {
  private readonly sub: Disposable;
  constructor(
    private readonly item: StatusItem,
    private readonly runtime: RuntimeService,
  ) {
    item.command = 'modelLab.showRuntimeLog';
    this.sub = runtime.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    const s = formatStatus(this.runtime.listLoaded());
    if (!s) {
      this.item.hide();
      return;
    }
    this.item.text = s.text;
    this.item.tooltip = s.tooltip;
    this.item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
