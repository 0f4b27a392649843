// The demo workspace that `npm start` opens, and a stand-in model for when the built-in demo model
// (media/models/demo.gguf, registered by the extension itself) has not been trained yet.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { log } from './log.mjs';
import { runLogged } from './processes.mjs';

const README = `# Model Lab demo

This folder was made by \`npm start\`. Open the **Model Lab** view in the activity bar: the demo model is listed
there. Try **Model Lab: Open Playground** from the command palette (F1), or select some code in
\`src/sample.ts\` and run **Model Lab: Generate Alternatives** from the editor's context menu.
`;

const SAMPLE = `// A small file to try Model Lab's editor commands on: select a function and ask for alternatives.
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

/** Creates the demo workspace once; never overwrites what the user changed there. */
export function ensureDemoWorkspace(dir) {
  const files = { 'README.md': README, 'src/sample.ts': SAMPLE };
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    if (existsSync(p)) continue;
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
