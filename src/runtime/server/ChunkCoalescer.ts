import type { GenerateChunk } from '../../protocol/runtime.js';

/**
 * Merges generation chunks so the runtime sends at most one notification per `intervalMs` (25 updates a second is
 * plenty for streaming text). Per-token IPC would cost the child CPU time on every token, and on a busy machine
 * that comes straight out of generation speed. The first chunk goes out at once (time to first token stays
 * honest); `flush` sends what is left before the response, so the caller sees every chunk before the result.
 */
export class ChunkCoalescer {
  private pending?: GenerateChunk;
  private timer?: NodeJS.Timeout;
  private lastSent = -Infinity;

  constructor(
    private readonly send: (chunk: GenerateChunk) => void,
    private readonly intervalMs = 40,
  ) {}

  push(chunk: GenerateChunk): void {
    if (this.pending) {
      this.pending.text += chunk.text;
      this.pending.tokens.push(...chunk.tokens);
    } else {
      this.pending = { generationId: chunk.generationId, text: chunk.text, tokens: [...chunk.tokens] };
    }
    const wait = this.lastSent + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const chunk = this.pending;
    this.pending = undefined;
    this.lastSent = performance.now();
    this.send(chunk);
  }
}
