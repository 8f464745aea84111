/**
 * Aborts a stream whose first token takes too long or whose tokens stop arriving: a provider
 * that accepts a request and then goes silent must not hold the user (and a connection) forever.
 */
export class StreamWatchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  private expired = false;
  private idle = false;

  constructor(
    firstTokenTimeoutMs: number,
    private readonly idleTimeoutMs: number,
  ) {
    this.timer = this.arm(firstTokenTimeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the watchdog aborted the stream. */
  get fired(): boolean {
    return this.expired;
  }

  /** Called for every event from upstream; restarts the idle countdown. */
  progress(): void {
    if (this.idle) {
      // Restarts the same timer: no new timer object per chunk.
      this.timer.refresh();
      return;
    }
    clearTimeout(this.timer);
    this.timer = this.arm(this.idleTimeoutMs);
    this.idle = true;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(ms: number): NodeJS.Timeout {
    return setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, ms);
  }
}
