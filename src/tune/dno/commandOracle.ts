import { spawn } from 'node:child_process';
import { AbortedError, throwIfAborted } from '../../engine/errors.js';
import { DnoError } from './DnoError.js';
import type { DnoOracle } from './DnoOracle.js';
import type { ScoreRange } from './dnoPairs.js';

/** The default range of a command's scores: 0 (bad) to 1 (good), e.g. 1 when a test passes. */
export const COMMAND_SCORE_RANGE: ScoreRange = { min: 0, max: 1 };

/**
 * An oracle that runs a shell command once per candidate: the candidate's text on stdin, the prompt in the
 * environment (MODEL_LAB_PROMPT), and a number on stdout (its first line) is the score. This ranks code by running
 * a check or a test. A command that exits non-zero or prints no number stops the run with its stderr's first line.
 */
export function commandOracle(command: string, opts: { cwd?: string; range?: ScoreRange; timeoutMs?: number } = {}): DnoOracle {
  const range = opts.range ?? COMMAND_SCORE_RANGE;
  const one = (prompt: string, text: string, signal?: AbortSignal): Promise<number> => new Promise((resolve, reject) => {
    throwIfAborted(signal);
    const child = spawn(command, {
      shell: true, cwd: opts.cwd, env: { ...process.env, MODEL_LAB_PROMPT: prompt }, stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000, signal,
    });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString('utf8'); });
    child.stdin.on('error', () => undefined); // a command that does not read its input is fine
    child.stdin.end(text);
    child.on('error', (e) => reject(signal?.aborted ? new AbortedError() : new DnoError('DNO_JUDGE', `judge command '${command}' did not start: ${e.message.split('\n')[0]}`)));
    child.on('close', (code, sig) => {
      if (signal?.aborted) return reject(new AbortedError());
      const firstErr = err.split('\n').find((l) => l.trim() !== '')?.trim();
      if (code !== 0) {
        return reject(new DnoError('DNO_JUDGE', `judge command '${command}' ${sig ? `was stopped (${sig})` : `exited with ${code}`}${firstErr ? `: ${firstErr}` : ''}`));
      }
      const line = out.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
      const score = Number(line);
      if (line === '' || !Number.isFinite(score)) {
        return reject(new DnoError('DNO_JUDGE', `judge command '${command}' printed ${line === '' ? 'nothing' : `'${line.slice(0, 40)}'`}, not a score (a number on its first line)`));
      }
      resolve(score);
    });
  });
  return {
    name: `command ${command}`,
    range,
    async score(prompt, candidates, signal) {
      const out: number[] = [];
      for (const c of candidates) out.push(await one(prompt, c, signal));
      return out;
    },
  };
}
