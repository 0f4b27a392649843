// The DNO tests' property: `readonly` in a completion of a line of lib.d.ts (the demo model writes it in under a
// tenth of its samples after these prompts). Gold answers are the real next line with `readonly ` after its indent.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../cli/cliHarness.js';
import { syntheticPairs } from './syntheticPairs.js';

export const PROPERTY = 'readonly';

export function propertyPairs(count: number, seed: number): Array<{ prompt: string; chosen: string; rejected: string }> {
  return syntheticPairs(repoRoot, count, seed).map((p) => {
    const m = /^(\n[ \t]*)(.*)$/s.exec(p.rejected)!;
    return { prompt: p.prompt, chosen: `${m[1]}${PROPERTY} ${m[2]}`, rejected: p.rejected };
  });
}

/** A judge command script: 1 when the candidate on stdin has the property, else 0. */
export function writePropertyJudge(dir: string): string {
  const file = path.join(dir, 'judge.sh');
  fs.writeFileSync(file, `#!/bin/sh\nif grep -q ${PROPERTY}; then echo 1; else echo 0; fi\n`);
  return `sh ${file}`;
}
