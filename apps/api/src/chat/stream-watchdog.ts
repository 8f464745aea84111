import type { Clock } from '../common/clock';

/**
 * Aborts a stream whose first token takes too long or whose tokens stop arriving: a provider
 * that accepts a request and then goes silent must not hold the user (and a connection) forever.
 * Its signal also follows the caller's (one listener, not AbortSignal.any's weak references).
 *
 * Progress costs one clock read per token and no timer operation after the first: the timer,
 * when it fires, looks at the time of the last token and sleeps again for what is left.
 */
export class StreamWatchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  private expired = false;
  private lastProgressAt: number | null = null;

  private readonly onCallerAbort = (): void => this.controller.abort();

  constructor(
    private readonly clock: Clock,
    private readonly callerSignal: AbortSignal,
    firstTokenTimeoutMs: number,
    private readonly idleTimeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.check(), firstTokenTimeoutMs);
    if (callerSignal.aborted) this.controller.abort();
    else callerSignal.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  /** Aborted when the watchdog fires or the caller cancels. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the watchdog aborted the stream. */
  get fired(): boolean {
    return this.expired;
  }

  /**
   * Called for every token from upstream; the first one turns the first-token deadline into the
   * idle one. True for that first one, so the caller can time it without a flag of its own.
   */
  progress(): boolean {
    const first = this.lastProgressAt === null;
    if (first) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.check(), this.idleTimeoutMs);
    }
    this.lastProgressAt = this.clock.now();
    return first;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.callerSignal.removeEventListener('abort', this.onCallerAbort);
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
