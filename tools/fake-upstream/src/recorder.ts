import { performance } from 'node:perf_hooks';
import type { FailureKind } from './failures';
import type { KeySource, WireFamily } from './protocol';

export type Endpoint = 'models' | 'chat' | 'other';

export type RequestOutcome =
  | 'in-progress'
  /** Answered in full (2xx). */
  | 'completed'
  /** Answered with an error the request itself caused: bad key, bad body, unknown route. */
  | 'rejected'
  /** Answered with an injected 429 or 500. */
  | 'injected-error'
  /** The fake destroyed the socket mid-stream (`dropMidStream`). */
  | 'dropped'
  /** The 200 stream reported an error inside its body (`errorMidStream`), then ended cleanly. */
  | 'error-mid-stream'
  /** The client went away before the answer was complete. */
  | 'closed-by-client'
  /** `stop()` cut the request off. */
  | 'closed-by-server';

/** One request as the fake saw it. Times are epoch milliseconds with sub-millisecond precision. */
export interface RecordedRequest {
  readonly id: number;
  /** `openai`, `anthropic`, `gemini`, or an OpenAI-compatible prefix such as `ollama`. */
  readonly provider: string;
  readonly family: WireFamily;
  readonly method: string;
  /** Full request path without the query string (which may carry a Gemini key). */
  readonly path: string;
  /** Request headers, lowercased; they include the key exactly as sent. */
  readonly headers: Readonly<Record<string, string>>;
  readonly key: string | null;
  readonly keySource: KeySource | null;
  readonly keyAccepted: boolean | null;
  readonly endpoint: Endpoint;
  readonly model: string | null;
  readonly stream: boolean;
  readonly body: unknown;
  /** Status sent, or null while no headers have gone out (e.g. `neverAnswer`). */
  readonly status: number | null;
  readonly failure: FailureKind | null;
  readonly outcome: RequestOutcome;
  /** Content chunks written so far (not counting preamble and epilogue events). */
  readonly chunksSent: number;
  readonly receivedAt: number;
  readonly respondedAt: number | null;
  readonly firstChunkAt: number | null;
  readonly endedAt: number | null;
  /** Set only when the client closed the connection before the answer was complete. */
  readonly closedAt: number | null;
}

export interface UpstreamStats {
  openConnections: number;
  totalConnections: number;
  /** Requests whose answer has not ended yet, streamed or not. */
  activeRequests: number;
  /** Streamed answers whose headers went out and which have not ended yet. */
  openStreams: number;
  totalRequests: number;
  closedByClient: number;
}

export type RequestStart = Pick<RecordedRequest, 'provider' | 'family' | 'method' | 'path' | 'headers'>;
export type RequestPatch = Partial<Omit<RecordedRequest, 'id' | keyof RequestStart>>;

export function now(): number {
  return performance.timeOrigin + performance.now();
}

interface Waiter {
  check(): boolean;
}

/** Keeps every request and the connection counters, and wakes up whoever waits on them. */
export class Recorder {
  private readonly entries: RecordedRequest[] = [];
  private readonly waiters = new Set<Waiter>();
  private nextId = 1;
  private connections = { open: 0, total: 0 };
  private counts = { requests: 0, closedByClient: 0 };

  /** Ended records beyond `limit` are forgotten oldest first, so a long benchmark run stays small. */
  constructor(private readonly limit = 10_000) {}

  get requests(): readonly RecordedRequest[] {
    return this.entries;
  }

  start(start: RequestStart): RecordedRequest {
    const entry: RecordedRequest = {
      id: this.nextId++,
      ...start,
      key: null,
      keySource: null,
      keyAccepted: null,
      endpoint: 'other',
      model: null,
      stream: false,
      body: undefined,
      status: null,
      failure: null,
      outcome: 'in-progress',
      chunksSent: 0,
      receivedAt: now(),
      respondedAt: null,
      firstChunkAt: null,
      endedAt: null,
      closedAt: null,
    };
    this.entries.push(entry);
    this.counts = { ...this.counts, requests: this.counts.requests + 1 };
    this.forgetBeyondLimit();
    this.notify();
    return entry;
  }

  update(entry: RecordedRequest, patch: RequestPatch): void {
    if (patch.outcome === 'closed-by-client' && entry.outcome !== 'closed-by-client') {
      this.counts = { ...this.counts, closedByClient: this.counts.closedByClient + 1 };
    }
    Object.assign(entry, patch);
    this.notify();
  }

  connectionOpened(): void {
    this.connections = { open: this.connections.open + 1, total: this.connections.total + 1 };
    this.notify();
  }

  connectionClosed(): void {
    this.connections = { ...this.connections, open: this.connections.open - 1 };
    this.notify();
  }

  stats(): UpstreamStats {
    const active = this.entries.filter((entry) => entry.endedAt === null);
    return {
      openConnections: this.connections.open,
      totalConnections: this.connections.total,
      activeRequests: active.length,
      openStreams: active.filter((entry) => entry.stream && entry.respondedAt !== null).length,
      totalRequests: this.counts.requests,
      closedByClient: this.counts.closedByClient,
    };
  }

  /** Forgets the records and request counts; open connections stay counted. */
  clear(): void {
    this.entries.length = 0;
    this.counts = { requests: 0, closedByClient: 0 };
    this.notify();
  }

  private forgetBeyondLimit(): void {
    while (this.entries.length > this.limit) {
      const oldestEnded = this.entries.findIndex((entry) => entry.endedAt !== null);
      if (oldestEnded < 0) return;
      this.entries.splice(oldestEnded, 1);
    }
  }

  /**
   * Resolves with the first truthy value `probe` returns, checked now and after every change
   * the recorder sees; rejects after `timeoutMs`.
   */
  waitFor<T>(probe: () => T | null | undefined | false, timeoutMs = 2_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`fake-upstream: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        check: () => {
          const value = probe();
          if (value === null || value === undefined || value === false) return false;
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(value);
          return true;
        },
      };
      if (!waiter.check()) {
        this.waiters.add(waiter);
      }
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) {
      waiter.check();
    }
  }
}
