/**
 * Bounded per-job log lines for `tail`: the newest `capacity` lines are kept in memory, older
 * ones dropped (the count of dropped lines is kept so tail can say so).
 */
export class LogBuffer {
  private lines: string[] = [];
  private dropped = 0;

  constructor(private readonly capacity = 2000) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) {
      this.lines.splice(0, this.lines.length - this.capacity);
      this.dropped++;
    }
  }

  /** The last `n` lines, oldest first. */
  tail(n: number): string[] {
    return this.lines.slice(-n);
  }

  get total(): number {
    return this.lines.length + this.dropped;
  }
}
