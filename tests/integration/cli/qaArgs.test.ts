// Option values as users type them: a negative number after an option is that option's (bad) value, refused with
// the option's own one-line message, not parseArgs' "argument is ambiguous".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberOption, parseCommand } from '../../../src/cli/commands/llamaArgs.js';
import { CliUsageError } from '../../../src/cli/CliUsageError.js';

const options = { lr: { type: 'string' }, rank: { type: 'string' }, distill: { type: 'boolean' } } as const;

test('a negative number after a string option is its value; numberOption then says what is wrong', () => {
  const { model, values } = parseCommand('train', ['m.gguf', '--lr', '-1', '--rank', '-.5'], options, 'usage');
  assert.equal(model, 'm.gguf');
  assert.deepEqual([values.lr, values.rank], ['-1', '-.5']);
  assert.throws(() => numberOption(values, 'lr', { min: 0 }), (e: unknown) => e instanceof CliUsageError && e.message === '--lr must be at least 0');
});

test('an unknown dashed word is still refused, and a boolean option never takes a value', () => {
  assert.throws(() => parseCommand('train', ['m.gguf', '--lr', '-x'], options, 'usage'), CliUsageError);
  assert.throws(() => parseCommand('train', ['m.gguf', '--distill', '-1'], options, 'usage'), CliUsageError);
});
