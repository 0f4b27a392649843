// The demo workspace that `npm start` opens, and a stand-in model for when the built-in demo model
// (media/models/demo.gguf, registered by the extension itself) has not been trained yet.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './log.mjs';
import { runLogged } from './processes.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The walk through Model Lab on the demo model, in the order of the loop (inspect → prune → compare → label →
 * tune → evaluate). A step is shown only while its command is offered (contributed and not hidden from the
 * palette), so every line of the guidance works when followed; steps appear as their features land.
 */
const STEPS = [
  { command: 'modelLab.inspectModel', text: 'Open the **Model Lab** view in the activity bar and click **Demo (built-in)**: the Inspect panel shows its card, tokenizer, tensors and a memory estimate.' },
  { command: 'modelLab.openPlayground', text: 'Run **Model Lab: Open Playground** (F1). The demo model has no chat template, so it runs as raw completion: type `interface Point {` and press Ctrl+Enter. The status line says why the text stopped.' },
  { command: 'modelLab.pruneModel', text: 'Right-click the demo model → **Prune Model** to remove FFN neurons; the pruned variant appears under it.' },
  { command: 'modelLab.compareModels', text: 'Select a function in `src/sample.ts`, right-click → **Model Lab → Compare Models** to see models (or a model and its variants) answer side by side.' },
  { command: 'modelLab.generateAlternatives', text: 'Select a function in `src/sample.ts`, right-click → **Model Lab → Generate Alternatives**, then mark the best and the worst: each choice is a preference pair.' },
  { command: 'modelLab.tuneOnPreferences', text: 'Right-click the demo model → **Tune on Preferences** to train a LoRA adapter on your pairs.' },
  { command: 'modelLab.evaluate', text: 'Right-click a variant → **Evaluate** to measure it against the demo model.' },
];

/** Commands the extension offers now: contributed and not hidden from the palette (`when: false`). */
function offeredCommands(root = repoRoot) {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const hidden = new Set((manifest.contributes.menus?.commandPalette ?? []).filter((e) => e.when === 'false').map((e) => e.command));
  return new Set(manifest.contributes.commands.map((c) => c.command).filter((c) => !hidden.has(c)));
}

export function demoReadme(root = repoRoot) {
  const offered = offeredCommands(root);
  const steps = STEPS.filter((s) => offered.has(s.command)).map((s, i) => `${i + 1}. ${s.text}`);
  return `# Model Lab demo

This folder was made by \`npm start\`. Model Lab's built-in demo model is a 2.6M-parameter llama model trained on
TypeScript declaration files: it writes TypeScript-like text, not answers to questions.

${steps.join('\n')}

The runtime's log is in **Model Lab: Show Runtime Log**; models and downloads live in the folder that
**Model Lab: Reveal Models Folder** shows.
`;
}

const SAMPLE = `// A small file to try Model Lab's editor commands on: select a function, right-click → Model Lab.
export function fibonacci(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

export function isPalindrome(text: string): boolean {
  const letters = text.toLowerCase().replace(/[^a-z0-9]/g, '');
  return letters === [...letters].reverse().join('');
}
`;

/** Guidance earlier versions wrote, replaced when the user has not changed it (it named commands that did not work). */
const EARLIER = new Set([
  '95b5d56c5926ee0d', // README.md naming Generate Alternatives before it existed
  'd34750343783b071', // src/sample.ts "ask for alternatives"
]);
const MARK = '<!-- written by npm start; edit freely: an edited file is never replaced -->';
const hash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * Creates the demo workspace; refreshes files it wrote itself (so the guidance follows what works), never a file
 * the user changed.
 */
export function ensureDemoWorkspace(dir) {
  const readme = demoReadme();
  const files = { 'README.md': `${readme}\n${MARK}\n<!-- ${hash(readme)} -->\n`, 'src/sample.ts': SAMPLE };
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    if (existsSync(p)) {
      const have = readFileSync(p, 'utf8');
      const m = /\n<!-- written by npm start[^\n]*\n<!-- ([0-9a-f]{16}) -->\n$/.exec(have);
      const ours = EARLIER.has(hash(have)) || (m && hash(have.slice(0, m.index + 1).replace(/\n$/, '')) === m[1]) || have === SAMPLE;
      if (!ours || have === content) continue;
    }
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

export function demoModelPath(root) {
  return path.join(root, 'media', 'models', 'demo.gguf');
}

/**
 * Writes a small generated llama model into `dir` with the engine's test-model writer (src/engine/synth), for
 * checkouts where the demo model is not there yet. Returns its path, or undefined when the writer is missing.
 */
export async function writeStandInModel(root, dir, { name = 'tiny-llama.gguf', seed = 1 } = {}) {
  const synth = ['src/engine/synth/index.ts', 'src/engine/synth/writeTestModel.ts'].map((p) => path.join(root, p)).find(existsSync);
  if (!synth) return undefined;
  const file = path.join(dir, name);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const code = `const m = await import(${JSON.stringify(synth)}); await m.writeTestModel(${JSON.stringify(file)}, { arch: 'llama', seed: ${seed} });`;
  await runLogged(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code],
    { cwd: root, logFile: path.join(root, '.tools', 'logs', 'stand-in-model.log') });
  log(`Generated a stand-in model ${path.relative(root, file)} (the demo model has not landed yet)`);
  return file;
}
