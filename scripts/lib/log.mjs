// Progress lines for the developer scripts (start, package, e2e setup, screenshots): one prefix, elapsed time.
import { setInterval, clearInterval } from 'node:timers';
const started = Date.now();

export function log(message) {
  const secs = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[model-lab ${secs}s] ${message}`);
}

/** Runs `work` while printing a heartbeat every `everyMs`, so a long silent step does not look hung. */
export async function withHeartbeat(label, work, everyMs = 30_000) {
  const t = Date.now();
  log(`${label}…`);
  const timer = setInterval(() => log(`${label}: still working (${Math.round((Date.now() - t) / 1000)}s)`), everyMs);
  try {
    const result = await work();
    log(`${label}: done in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}

export class ScriptError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ScriptError';
  }
}
