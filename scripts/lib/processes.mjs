// Child processes for the developer scripts: logged runs that fail with the log's tail, and long-lived
// services started in their own process group so that stopping one also stops everything it spawned.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ScriptError } from './log.mjs';

/** Runs a command to completion with its output in `logFile`; rejects with the last lines of that log. */
export function runLogged(cmd, args, { cwd, env, logFile, echo = false } = {}) {
  mkdirSync(path.dirname(logFile), { recursive: true });
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    out.write(`\n$ ${[cmd, ...args].join(' ')}\n`);
    // Its own process group, so that stopping it also stops what it spawned (npm → node-gyp → make …).
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.on('exit', () => running.delete(child));
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (d) => { out.write(d); if (echo) process.stdout.write(d); });
    }
    child.on('error', (err) => { out.end(); reject(new ScriptError(`${cmd} could not start: ${err.message}`)); });
    child.on('close', (code, signal) => {
      out.end(() => {
        if (code === 0) return resolve();
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
        reject(new ScriptError(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (${signal ?? `exit ${code}`}); `
          + `full log: ${logFile}\n${tail}`));
      });
    });
  });
}

/** Synchronous run for quick probes; returns { status, stdout }. */
export function probe(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { status: r.status, stdout: (r.stdout ?? '').trim(), error: r.error };
}

const services = new Set();
/** Children of runLogged still running (an npm install must not outlive the script that started it). */
const running = new Set();

/**
 * Starts a long-lived process in its own process group. `stop()` sends SIGTERM to the whole group, then
 * SIGKILL after `graceMs`. Every service still running when this Node process exits is killed.
 */
export function startService(name, cmd, args, { cwd, env, logFile, graceMs = 5000 } = {}) {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const out = createWriteStream(logFile, { flags: 'a' });
  out.write(`\n$ ${[cmd, ...args].join(' ')}\n`);
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  let exited = false;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => { exited = true; resolve({ code, signal }); }));
  const service = {
    name, child, logFile, exit,
    get running() { return !exited; },
    async stop() {
      services.delete(service);
      if (!exited) {
        killGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
      // Children that ignored SIGTERM (extension hosts, runtime processes) may outlive the leader.
      killGroup(child.pid, 'SIGKILL');
      out.end();
    },
  };
  services.add(service);
  return service;
}

function killGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

export async function stopAllServices() {
  await Promise.all([...services].map((s) => s.stop()));
}

function killEverything() {
  for (const s of services) killGroup(s.child.pid, 'SIGKILL');
  for (const c of running) killGroup(c.pid, 'SIGKILL');
}

process.on('exit', killEverything);

let handlingSignals = false;
/**
 * Makes SIGINT/SIGTERM/SIGHUP stop every service and child this process started, then exit (a signal's
 * default action would skip the 'exit' hook and leave code-server or an npm install running).
 * `onSignal` may do more cleaning first.
 */
export function exitOnSignals(onSignal) {
  if (handlingSignals) return;
  handlingSignals = true;
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, async () => {
      if (stopping) return;
      stopping = true;
      try { await onSignal?.(sig); } catch { /* exiting anyway */ }
      await stopAllServices().catch(() => {});
      killEverything();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}
