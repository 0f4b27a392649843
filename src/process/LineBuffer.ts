/** Splits a byte stream into text lines (a child's stdout/stderr), keeping a partial last line until it ends. */
export class LineBuffer {
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    const lines = text.split(/\r?\n/);
    this.rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) this.onLine(l);
  }

  flush(): void {
    if (this.rest.trim()) this.onLine(this.rest);
    this.rest = '';
  }
}
