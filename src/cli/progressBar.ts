/** A one-line progress bar drawn on a terminal stream, redrawn at most `hz` times a second. */
export class ProgressBar {
  private last = 0;
  private readonly minIntervalMs: number;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    private readonly label: string,
    hz = 10,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.minIntervalMs = 1000 / hz;
  }

  /** Report progress; draws only if enough time has passed or `done === total`. */
  update(done: number, detail = ''): void {
    const t = this.now();
    if (done < this.total && t - this.last < this.minIntervalMs) return;
    this.last = t;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 40 - detail.length));
    const frac = this.total > 0 ? done / this.total : 1;
    const fill = Math.round(frac * width);
    const bar = '#'.repeat(fill) + '-'.repeat(width - fill);
    this.stream.write(`\r${this.label} [${bar}] ${done}/${this.total} ${detail}\x1b[K`);
  }

  /** End the line. */
  finish(): void {
    this.stream.write('\n');
  }
}
