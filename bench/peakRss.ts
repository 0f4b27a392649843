import fs from 'node:fs';

/**
 * Peak RSS of this process, bytes. On Linux from VmHWM: getrusage's maxRSS survives exec, so a child started by
 * a (large) bench process would report the parent's RSS at spawn time whenever that was higher.
 */
export function peakRss(): number {
  try {
    const m = /VmHWM:\s*(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS * 1024;
}
