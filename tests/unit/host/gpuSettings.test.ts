import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPU_SETTINGS } from '../../../src/protocol/runtime.js';

// package.json cannot import the list, so this keeps the `modelLab.gpu` setting's choices equal to it.
test('the modelLab.gpu setting offers exactly GPU_SETTINGS', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const gpu = pkg.contributes.configuration.properties['modelLab.gpu'];
  assert.deepEqual(gpu.enum, [...GPU_SETTINGS]);
  assert.ok(GPU_SETTINGS.includes(gpu.default));
});
