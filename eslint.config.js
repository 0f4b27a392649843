// Lint rules keep the layer arrows of ARCHITECTURE.md true: imports point down only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const upper = (...names) => names.map((n) => ({ group: [`**/${n}/**`, `**/${n}`], message: `this layer may not import ${n}` }));
const vscodeBan = { group: ['vscode'], message: 'only src/host may import vscode' };
const llamaBan = { group: ['node-llama-cpp'], message: 'only src/runtime may import node-llama-cpp' };
// The host reaches llama.cpp only through the runtime process: src/runtime/client (plus the runtime's plain data:
// catalog, errors). Its in-process core, server and entry point would load native code into the extension host.
const runtimeInsideBan = {
  group: ['**/runtime/core', '**/runtime/core/**', '**/runtime/server', '**/runtime/server/**', '**/runtime/download/**', '**/runtime/main', '**/runtime/main.js'],
  message: 'the host uses the runtime through src/runtime/client only',
};

// The job process runs the engine; of the runtime it uses only the training tokenizer, which loads llama.cpp's
// vocabulary (no weights) for the vocabularies the engine's tokenizer does not cover — the CLI's path too.
const jobsRuntimeBan = {
  regex: '(^|/)runtime(/(?!core/llamaCppTokenizer\\.js$).*)?$',
  message: 'the job process may use only the runtime\'s training tokenizer (src/runtime/core/llamaCppTokenizer.ts)',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.cache/**', 'test-results/**', 'src/engine/kernels/wasm/assembly/**', 'src/engine/kernels/wasm/build/**', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['src/engine/**'], rules: restrict([vscodeBan, llamaBan, ...upper('host', 'cli', 'runtime', 'jobs', 'workspace', 'process')]) },
  { files: ['src/protocol/**'], rules: restrict([vscodeBan, llamaBan, ...upper('host', 'cli', 'runtime', 'jobs', 'engine', 'workspace', 'process')]) },
  { files: ['src/workspace/**'], rules: restrict([vscodeBan, llamaBan, ...upper('host', 'cli', 'runtime', 'jobs')]) },
  { files: ['src/process/**'], rules: restrict([vscodeBan, llamaBan, ...upper('host', 'cli', 'runtime', 'jobs')]) },
  { files: ['src/runtime/**'], rules: restrict([vscodeBan, ...upper('host', 'cli', 'jobs')]) },
  { files: ['src/jobs/**'], rules: restrict([vscodeBan, llamaBan, ...upper('host', 'cli'), jobsRuntimeBan]) },
  { files: ['src/serve/**'], rules: restrict([vscodeBan, ...upper('host', 'cli', 'jobs')]) },
  { files: ['src/evaluate/**'], rules: restrict([vscodeBan, llamaBan, ...upper('host', 'cli', 'jobs', 'serve')]) },
  // DNO iterations: llama.cpp through the EvalRuntime interface, training through a caller's trainer (CLI or job)
  { files: ['src/tune/**'], rules: restrict([vscodeBan, llamaBan, ...upper('host', 'cli', 'runtime', 'jobs', 'serve')]) },
  { files: ['src/cli/**'], rules: restrict([vscodeBan, ...upper('host')]) },
  { files: ['src/host/**'], rules: restrict([llamaBan, runtimeInsideBan, ...upper('cli')]) },
  { files: ['webview/**'], rules: restrict([vscodeBan, llamaBan, ...upper('host', 'cli', 'runtime', 'jobs', 'engine', 'workspace')]) },
);
