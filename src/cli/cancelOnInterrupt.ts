// Ctrl-C as "cancel" for the commands that write files (train, prune, merge, download): the first SIGINT aborts
// the command's signal, so it stops at its next check, removes or checkpoints what it wrote and says so; a second
// SIGINT ends the process at once.
//
// The listener stays registered (process.on, not once) until dispose: an exit hook that node-llama-cpp brings in
// (signal-exit) re-raises the signal when it sees no other SIGINT listener, and a `once` listener is already gone
// when that hook runs, so the process died (exit 130, no checkpoint message) instead of cancelling.

export interface Interrupt {
  signal: AbortSignal;
  /** Stops listening; call in a finally. */
  dispose(): void;
}

export function cancelOnInterrupt(): Interrupt {
  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', onSigint) };
}
