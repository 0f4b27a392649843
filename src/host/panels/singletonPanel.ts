import type { Disposable, HostApi, PanelHandle, PanelOptions } from '../vscodeApi/HostApi.js';

export interface SingletonPanel<P, I> {
  /** Reveals the open panel and hands it `init`, or creates the panel with it. */
  open(init: I): P;
  /** The open panel, if any. */
  current(): P | null;
}

/**
 * One panel of a kind at a time (Compare, Evaluate, Prune, Tune, Label): opening it again reveals the open one and
 * passes the new request on; closing it disposes it; deactivation disposes whatever is open.
 */
export function singletonPanel<P extends Disposable & { readonly panel: PanelHandle }, I>(
  api: Pick<HostApi, 'window'>,
  options: PanelOptions,
  create: (handle: PanelHandle, init: I) => P,
  show: ((panel: P, init: I) => void) | undefined,
  subscriptions: Disposable[],
): SingletonPanel<P, I> {
  let open: P | null = null;
  subscriptions.push({ dispose: () => open?.dispose() });
  return {
    open(init) {
      if (open) {
        open.panel.reveal();
        show?.(open, init);
        return open;
      }
      const handle = api.window.createPanel(options);
      const p = create(handle, init);
      open = p;
      handle.onDidDispose(() => {
        p.dispose();
        if (open === p) open = null;
      });
      return p;
    },
    current: () => open,
  };
}
