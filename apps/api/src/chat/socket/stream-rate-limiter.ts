/** Sliding one-minute window of stream starts for one connection. */
export class StreamRateLimiter {
  private readonly starts: number[] = [];

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a start and returns true, or returns the seconds to wait when over the limit. */
  tryStart(): true | number {
    const now = this.now();
    while (this.starts.length > 0 && this.starts[0] <= now - 60_000) this.starts.shift();
    if (this.starts.length >= this.perMinute) {
      return Math.max(1, Math.ceil((this.starts[0] + 60_000 - now) / 1000));
    }
    this.starts.push(now);
    return true;
  }
}
