#!/usr/bin/env node
// `npm start`: a real VS Code (code-server) with Model Lab, on this machine, in a browser.
//   - installs what is missing: npm dependencies, Debian packages, Node 24 and code-server (under .tools/);
//   - builds and packages the extension, installs the VSIX into a private profile (.tools/profile);
//   - opens a demo workspace (.tools/demo-workspace) where the built-in demo model is listed;
//   - serves on http://127.0.0.1:PORT (no password: loopback only), prints the URL, opens a browser if it can.
// Ctrl-C stops everything it started. A second run reuses the tools, the VSIX and the profile.
//   --port N   (or MODEL_LAB_PORT; default 8740)      --no-open   do not open a browser
//   --gpu LIST GPU builds of llama.cpp to include (cuda,vulkan,all,none; default: what this machine has)
//   --folder D open D instead of the demo workspace
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensureDependencies } from './lib/ensure.mjs';
import { ensureTools, toolsDir } from './lib/tools.mjs';
import { packageVsix, parseGpuVariants, currentTarget, localVsixPath } from './lib/packageVsix.mjs';
import { installVsix, prepareProfile, startCodeServer } from './lib/codeServer.mjs';
import { ensureDemoWorkspace, demoModelPath, writeStandInModel } from './lib/demoWorkspace.mjs';
import { exitOnSignals, probe, stopAllServices } from './lib/processes.mjs';
import { log, ScriptError } from './lib/log.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);

/** GPU builds worth shipping to this machine: CUDA when an NVIDIA driver answers, Vulkan when its loader exists. */
function localGpuVariants() {
  const out = [];
  if (probe('nvidia-smi', ['-L']).status === 0) out.push('cuda');
  if (/libvulkan\.so\.1/.test(probe('ldconfig', ['-p']).stdout)) out.push('vulkan');
  return out;
}

function portInUse(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

let stopping = false;

async function main() {
  const t = Date.now();
  // Ctrl-C stops code-server (and any install under way) and exits.
  exitOnSignals((sig) => { stopping = true; log(`${sig}: stopping everything npm start started…`); });
  const port = Number(opt('--port', process.env.MODEL_LAB_PORT ?? 8740));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ScriptError(`bad port ${opt('--port', process.env.MODEL_LAB_PORT)}`);
  if (await portInUse(port)) throw new ScriptError(`port ${port} is in use: pass --port N or set MODEL_LAB_PORT`);

  ensureDependencies(root);
  const gpu = args.includes('--gpu') ? parseGpuVariants(opt('--gpu')) : localGpuVariants();
  log(`llama.cpp builds to package: cpu${gpu.map((g) => `, ${g}`).join('')} (${currentTarget()})`);
  // The tools install (minutes the first time) and the build + package run side by side.
  const [tools, { vsix }] = await Promise.all([
    ensureTools(root, { chromium: false }), // the user's own browser shows it
    packageVsix(root, { gpu, reuse: true, out: localVsixPath(root, currentTarget(), gpu) }),
  ]);

  const settings = {};
  const folder = opt('--folder') ? path.resolve(opt('--folder')) : ensureDemoWorkspace(path.join(toolsDir(root), 'demo-workspace'));
  if (!existsSync(demoModelPath(root))) {
    // Until the demo model is trained, list a small generated model so there is something to try.
    const standIn = await writeStandInModel(root, path.join(toolsDir(root), 'stand-in-models')).catch((err) => {
      log(`could not generate a stand-in model (${err.message.split('\n')[0]}); the Models view starts empty`);
      return undefined;
    });
    if (standIn) settings['modelLab.modelsDirectory'] = path.dirname(standIn);
  }
  const profile = prepareProfile(path.join(toolsDir(root), 'profile'), settings);

  // Reinstall only when the VSIX changed since the last install into this profile.
  const stamp = path.join(profile.dir, 'installed-vsix.json');
  const current = JSON.stringify({ vsix, mtime: statSync(vsix).mtimeMs, size: statSync(vsix).size });
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== current) {
    await installVsix(tools, profile, vsix);
    writeFileSync(stamp, current);
  } else {
    log('Model Lab in the profile is up to date');
  }

  const server = await startCodeServer(tools, profile, { port, folder });
  const url = server.workbenchUrl;
  log(`Ready in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  console.log(`\n  Model Lab in VS Code:  ${url}\n  (code-server log: ${server.logFile}; Ctrl-C stops it)\n`);
  if (!args.includes('--no-open') && process.env.DISPLAY && probe('which', ['xdg-open']).status === 0) {
    spawn('xdg-open', [url], { stdio: 'ignore', detached: true }).unref();
  }

  // Runs until Ctrl-C (handled by exitOnSignals) or until code-server dies on its own.
  const { code, signal } = await server.service.exit;
  if (stopping) return;
  console.error(`code-server stopped by itself (${signal ?? `exit ${code}`}); see ${server.logFile}`);
  await stopAllServices();
  process.exit(1);
}

main().catch(async (err) => {
  await stopAllServices();
  console.error(err instanceof ScriptError ? `npm start: ${err.message}` : err);
  process.exit(1);
});
