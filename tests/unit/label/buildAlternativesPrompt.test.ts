import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAlternativesPrompt, CONTEXT_AFTER, CONTEXT_BEFORE, DEFAULT_INSTRUCTION } from '../../../src/host/label/buildAlternativesPrompt.js';

const input = { selection: 'return a - b', before: 'def add(a, b):\n    ', after: '\n\nprint(add(1, 2))\n', language: 'python', file: '/w/src/calc.py' };

test('raw completion continues the code before the selection; chat fills the instruction template', () => {
  assert.deepEqual(buildAlternativesPrompt(input, { chat: false }), { mode: 'complete', prompt: input.before, promptData: { text: input.before } });
  const chat = buildAlternativesPrompt(input, { chat: true, instruction: '{language} in {file}: [{before}|{selection}|{after}] {unknown}' });
  assert.equal(chat.mode, 'chat');
  assert.equal(chat.prompt, `python in calc.py: [${input.before}|return a - b|${input.after}] {unknown}`);
  assert.deepEqual(chat.promptData, { messages: [{ role: 'user', content: chat.prompt }] });
  const def = buildAlternativesPrompt(input, { chat: true, instruction: DEFAULT_INSTRUCTION }).prompt;
  assert.ok(def.includes('```python\nreturn a - b\n```'));
});

test('long context is cut at line boundaries, keeping the code nearest the selection', () => {
  const line = (i: number) => `line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}\n`;
  const before = Array.from({ length: 200 }, (_, i) => line(i)).join('') + '    ';
  const after = '\n' + Array.from({ length: 100 }, (_, i) => line(1000 + i)).join('');
  const p = buildAlternativesPrompt({ ...input, before, after }, { chat: false }).prompt;
  assert.ok(p.length <= CONTEXT_BEFORE);
  assert.ok(p.startsWith('line '), 'starts at a line start');
  assert.ok(p.endsWith('line 0199 ' + 'x'.repeat(40) + '\n    '), 'ends right before the selection');
  const c = buildAlternativesPrompt({ ...input, before, after }, { chat: true, instruction: '{after}' }).prompt;
  assert.ok(c.length <= CONTEXT_AFTER && c.endsWith('\n'), 'after-context ends at a line end');
});
