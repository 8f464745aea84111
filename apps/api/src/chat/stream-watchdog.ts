import type { Clock } from '../common/clock';

/**
 * Aborts a stream whose first token takes too long or whose tokens stop arriving: a provider
 * that accepts a request and then goes silent must not hold the user (and a connection) forever.
 *
 * Progress costs one clock read per token and no timer operation after the first: the timer,
 * when it fires, looks at the time of the last token and sleeps again for what is left.
 */
export class StreamWatchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  private expired = false;
  private lastProgressAt: number | null = null;

  constructor(
    private readonly clock: Clock,
    firstTokenTimeoutMs: number,
    private readonly idleTimeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.check(), firstTokenTimeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the watchdog aborted the stream. */
  get fired(): boolean {
    return this.expired;
  }

  /** Called for every token from upstream; the first one turns the first-token deadline into the idle one. */
  progress(): void {
    if (this.lastProgressAt === null) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.check(), this.idleTimeoutMs);
    }
    this.lastProgressAt = this.clock.now();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private check(): void {
    const quietFor = this.lastProgressAt === null ? Infinity : this.clock.now() - this.lastProgressAt;
    if (quietFor < this.idleTimeoutMs) {
      this.timer = setTimeout(() => this.check(), this.idleTimeoutMs - quietFor);
      return;
    }
    this.expired = true;
    this.controller.abort();
  }
}
