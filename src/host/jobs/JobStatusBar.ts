import type { JobService } from '../../jobs/service/JobService.js';
import type { Disposable, StatusItem } from '../vscodeApi/HostApi.js';
import { formatJobStatus } from './formatJob.js';
import { JOBS_VIEW } from './jobCommandIds.js';

/** The running job in the status bar ("$(sync~spin) Train… · training 45% · ETA 2m"); hidden when none runs. */
export class JobStatusBar implements Disposable {
  private readonly sub: Disposable;

  constructor(
    private readonly item: StatusItem,
    private readonly service: JobService,
  ) {
    item.command = `${JOBS_VIEW}.focus`;
    this.sub = service.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    const active = this.service.active();
    const first = active[0];
    if (!first) {
      this.item.hide();
      return;
    }
    const queued = this.service.list().filter((r) => r.state === 'queued').length;
    this.item.text = `$(sync~spin) ${first.title} · ${formatJobStatus(first)}${queued ? ` (+${queued} queued)` : ''}`;
    this.item.tooltip = `Model Lab job: ${first.title}\n${formatJobStatus(first)}\nClick to show the Jobs view.`;
    this.item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
