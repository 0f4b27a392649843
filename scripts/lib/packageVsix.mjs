// Packages Model Lab as a platform-specific VSIX with @vscode/vsce.
//
// vsce would walk the whole checkout (including .tools/, with code-server's tens of thousands of files) and
// ship every @node-llama-cpp/* binary package. Instead we lay out a staging folder with exactly what the
// extension needs — the manifest, README, dist/, media/ and the production dependency tree with only the
// target's llama.cpp binaries — hard-linked (so it is quick), and run vsce there.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { log, ScriptError, withHeartbeat } from './log.mjs';
import { runLogged } from './processes.mjs';

/**
 * vsce target → the @node-llama-cpp/* packages that node-llama-cpp may load there. It picks the GPU build
 * by trying cuda (with -cuda-ext as its fallback CUDA library), then vulkan, then the plain CPU build.
 */
const LLAMA_BINARIES = {
  'linux-x64': { cpu: 'linux-x64', cuda: ['linux-x64-cuda'], 'cuda-ext': ['linux-x64-cuda-ext'], vulkan: ['linux-x64-vulkan'] },
  'linux-arm64': { cpu: 'linux-arm64' },
  'linux-armhf': { cpu: 'linux-armv7l' },
  'win32-x64': { cpu: 'win-x64', cuda: ['win-x64-cuda'], 'cuda-ext': ['win-x64-cuda-ext'], vulkan: ['win-x64-vulkan'] },
  'win32-arm64': { cpu: 'win-arm64' },
  'darwin-arm64': { cpu: 'mac-arm64-metal' },
  'darwin-x64': { cpu: 'mac-x64' },
};

/** Production dependencies we leave out: an optional peer only node-llama-cpp's own CLI uses. */
const SKIP_PACKAGES = new Set(['typescript']);
/** Files inside packages that are never needed at run time (llama.cpp's sources, for building from source). */
const SKIP_FILES = [/^node_modules\/node-llama-cpp\/llama\/gitRelease\.bundle$/, /\.d\.ts$/, /\.d\.ts\.map$/];

export function currentTarget() {
  const os = { linux: 'linux', win32: 'win32', darwin: 'darwin' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64', arm: 'armhf' }[process.arch];
  return `${os}-${arch}`;
}

/** Which GPU variants a spec like "cuda,vulkan", "all" or "none" selects. */
export function parseGpuVariants(spec) {
  if (!spec || spec === 'none' || spec === 'cpu') return [];
  if (spec === 'all') return ['cuda', 'cuda-ext', 'vulkan'];
  const out = spec.split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of out) if (!['cuda', 'cuda-ext', 'vulkan'].includes(v)) throw new ScriptError(`unknown GPU variant "${v}" (cuda, cuda-ext, vulkan, all, none)`);
  return out;
}

function llamaPackagesFor(target, gpu) {
  const t = LLAMA_BINARIES[target];
  if (!t) throw new ScriptError(`no llama.cpp binaries known for target ${target} (${Object.keys(LLAMA_BINARIES).join(', ')})`);
  return [t.cpu, ...gpu.flatMap((v) => t[v] ?? [])].map((n) => `@node-llama-cpp/${n}`);
}

/** Absolute folders of the production dependency tree, as npm itself sees it. */
function productionDependencies(root) {
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm',
    ['list', '--omit=dev', '--parseable', '--all', '--loglevel=error'], { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20 });
  const dirs = r.stdout.split(/\r?\n/).filter((d) => path.isAbsolute(d) && d !== root);
  if (dirs.length === 0) throw new ScriptError(`npm list found no production dependencies: ${r.stderr.trim()}`);
  return dirs;
}

function packageNameOf(rel) {
  // rel: node_modules/a/node_modules/@scope/b → @scope/b
  const parts = rel.split('/');
  const i = parts.lastIndexOf('node_modules');
  return parts[i + 1].startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1];
}

/**
 * Hard-links (or copies, across devices) a folder, leaving out nested node_modules (listed on their own).
 * `copy` for files a build may rewrite in place meanwhile (a hard link would change under vsce).
 */
function linkTree(src, dst, rel, counts, copy = false) {
  mkdirSync(dst, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') linkTree(s, d, r, counts, copy);
    } else if (e.isFile() && !SKIP_FILES.some((re) => re.test(r))) {
      if (copy) copyFileSync(s, d);
      else try { linkSync(s, d); } catch { copyFileSync(s, d); }
      counts.files++;
      counts.bytes += statSync(s).size;
    }
  }
}

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const name of readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, name)));
  return m;
}

/** Inputs whose change makes a new VSIX necessary. */
function inputsMtime(root, { dist = true } = {}) {
  return Math.max(...['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'media', 'node_modules/.package-lock.json', ...(dist ? ['dist'] : [])]
    .map((p) => newestMtime(path.join(root, p))));
}

/** Sources of the build (esbuild rewrites dist/ on every build, so dist's own times say nothing). */
function sourcesMtime(root) {
  return Math.max(...['src', 'webview', 'esbuild.mjs', 'package-lock.json', 'tsconfig.json']
    .map((p) => newestMtime(path.join(root, p))));
}

/** Where `npm start` and the e2e lane keep their VSIX: one per target and GPU set, so they share it. */
export function localVsixPath(root, target, gpu) {
  return path.join(root, '.tools', 'vsix', `model-lab-${target}-${gpu.length ? gpu.join('+') : 'cpu'}.vsix`);
}

export function defaultVsixPath(root, target) {
  const { name, version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return path.join(root, `${name}-${version}-${target}.vsix`);
}

/**
 * Builds (unless `build: false`) and packages. Options: target (vsce target, default this machine),
 * gpu (variants list), out (VSIX path), reuse (skip packaging when the VSIX is newer than every input and
 * was made with the same options). Returns { vsix, bytes, reused }.
 */
export async function packageVsix(root, { target = currentTarget(), gpu = ['cuda', 'vulkan'], out, build = true, reuse = false } = {}) {
  out ??= defaultVsixPath(root, target);
  const llamaPackages = llamaPackagesFor(target, gpu);
  const optionsKey = JSON.stringify({ target, llamaPackages });
  // What the VSIX was made with, kept under .tools (ignored by git) rather than next to the VSIX.
  const sidecar = path.join(root, '.tools', 'package-options', `${path.basename(out)}.json`);
  const sameOptions = () => existsSync(out) && existsSync(sidecar) && readFileSync(sidecar, 'utf8') === optionsKey;
  // Nothing the build or the package reads changed since the VSIX was made: skip both.
  if (reuse && sameOptions() && statSync(out).mtimeMs > Math.max(sourcesMtime(root), inputsMtime(root, { dist: false }))) {
    log(`Reusing ${path.relative(root, out)} (${mib(statSync(out).size)}): no source changed since it was packaged`);
    return { vsix: out, bytes: statSync(out).size, reused: true };
  }
  if (build) {
    await withHeartbeat('Building the extension (esbuild --production)', () =>
      runLogged(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, logFile: path.join(root, '.tools', 'logs', 'build.log') }));
  }
  if (!existsSync(path.join(root, 'dist', 'extension.cjs'))) {
    throw new ScriptError('dist/extension.cjs was not built: src/host/extension.ts is missing or failed to build');
  }
  if (reuse && sameOptions() && statSync(out).mtimeMs > inputsMtime(root)) {
    log(`Reusing ${path.relative(root, out)} (${mib(statSync(out).size)}): nothing changed since it was packaged`);
    return { vsix: out, bytes: statSync(out).size, reused: true };
  }

  // Per process: other scripts (npm start, the e2e lane, a teammate's check) may package at the same time.
  const stage = path.join(root, '.tools', 'package-stage', `${target}-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const counts = { files: 0, bytes: 0 };

  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  delete manifest.devDependencies; // not shipped; npm list in the stage must not look for them
  delete manifest.scripts;         // vsce would run vscode:prepublish; we have built already
  writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  for (const f of ['README.md', 'LICENSE', 'LICENSE.md', 'CHANGELOG.md']) {
    if (existsSync(path.join(root, f))) copyFileSync(path.join(root, f), path.join(stage, f));
  }
  for (const d of ['dist', 'media']) {
    if (existsSync(path.join(root, d))) linkTree(path.join(root, d), path.join(stage, d), d, counts, true);
  }
  const wanted = new Set(llamaPackages);
  for (const p of llamaPackages) {
    if (!existsSync(path.join(root, 'node_modules', p))) {
      throw new ScriptError(`${p} is not installed here, so a ${target} VSIX cannot be made on this machine`);
    }
  }
  for (const dir of productionDependencies(root)) {
    const rel = path.relative(root, dir).split(path.sep).join('/');
    const name = packageNameOf(rel);
    if (SKIP_PACKAGES.has(name)) continue;
    if (name.startsWith('@node-llama-cpp/') && !wanted.has(name)) continue;
    linkTree(dir, path.join(stage, rel), rel, counts);
  }
  writeFileSync(path.join(stage, '.vscodeignore'), readFileSync(path.join(root, '.vscodeignore')));
  log(`Staged ${counts.files} files (${mib(counts.bytes)}) for ${target}: ${llamaPackages.join(', ')}`);

  mkdirSync(path.dirname(out), { recursive: true });
  // Written aside and renamed into place, so nobody ever installs a half-written VSIX.
  const partial = `${out}.${process.pid}.partial`;
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const args = [vsce, 'package', '--target', target, '--out', partial, '--allow-missing-repository',
    '--no-rewrite-relative-links'];
  if (!['LICENSE', 'LICENSE.md'].some((f) => existsSync(path.join(stage, f)))) args.push('--skip-license');
  try {
    await withHeartbeat(`Packaging ${path.basename(out)} with vsce`, () =>
      runLogged(process.execPath, args, { cwd: stage, logFile: path.join(root, '.tools', 'logs', `vsce-${process.pid}.log`) }));
    renameSync(partial, out);
  } finally {
    rmSync(partial, { force: true });
    rmSync(stage, { recursive: true, force: true });
  }
  mkdirSync(path.dirname(sidecar), { recursive: true });
  writeFileSync(sidecar, optionsKey);
  const bytes = statSync(out).size;
  log(`VSIX: ${path.relative(root, out) || out} — ${mib(bytes)} (unpacked ${mib(counts.bytes)})`);
  return { vsix: out, bytes, reused: false };
}

function mib(bytes) {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
