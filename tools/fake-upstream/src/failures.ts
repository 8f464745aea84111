import type { Endpoint } from './recorder';

export type FailureKind = 'status429' | 'status500' | 'dropMidStream' | 'errorMidStream' | 'neverAnswer' | 'slowTrickle';

/** What an `errorMidStream` failure reports; each wire format spells it as its provider does. */
export type StreamErrorKind = 'auth' | 'rate_limited' | 'overloaded' | 'bad_request';

export const STREAM_ERROR_KINDS: readonly StreamErrorKind[] = ['auth', 'rate_limited', 'overloaded', 'bad_request'];

export interface FailureScope {
  /** Only requests to this provider id; every provider when left out. */
  provider?: string;
  /** Only this kind of request; `any` (the default) also covers model listings. */
  endpoint?: Exclude<Endpoint, 'other'> | 'any';
  /** Only the next N matching requests; every matching request when left out. */
  times?: number;
}

export type FailureSpec = FailureScope &
  (
    | { kind: 'status429'; retryAfterSeconds?: number }
    | { kind: 'status500' }
    /** Destroys the socket after `afterChunks` content chunks (default 2). Streams only. */
    | { kind: 'dropMidStream'; afterChunks?: number }
    /**
     * Sends `afterChunks` content chunks (default 2), then `error` inside the 200 stream in the
     * provider's own format, then ends the response cleanly. Streams only.
     */
    | { kind: 'errorMidStream'; afterChunks?: number; error: StreamErrorKind }
    /** Reads the request and never sends headers; only the client or `stop()` ends it. */
    | { kind: 'neverAnswer' }
    /** Writes each event in `fragmentBytes` slices, `intervalMs` apart. Streams only. */
    | { kind: 'slowTrickle'; fragmentBytes?: number; intervalMs?: number }
  );

/** An injected failure with its live counters. */
export interface InjectedFailure {
  readonly id: number;
  readonly spec: FailureSpec;
  /** Matching requests it still applies to; null when unlimited. */
  readonly remaining: number | null;
  readonly hits: number;
}

export interface FailureTarget {
  provider: string;
  endpoint: Endpoint;
  stream: boolean;
}

const STREAM_ONLY: ReadonlySet<FailureKind> = new Set(['dropMidStream', 'errorMidStream', 'slowTrickle']);

function applies(spec: FailureSpec, target: FailureTarget): boolean {
  if (spec.provider !== undefined && spec.provider !== target.provider) return false;
  const endpoint = spec.endpoint ?? 'any';
  if (endpoint !== 'any' && endpoint !== target.endpoint) return false;
  if (STREAM_ONLY.has(spec.kind) && !(target.endpoint === 'chat' && target.stream)) return false;
  return target.endpoint !== 'other';
}

/** The failures waiting to be applied, first injected first served. */
export class FailurePlan {
  private readonly entries: Array<{ id: number; spec: FailureSpec; remaining: number | null; hits: number }> = [];
  private nextId = 1;

  inject(spec: FailureSpec): InjectedFailure {
    if (spec.times !== undefined && !(Number.isInteger(spec.times) && spec.times > 0)) {
      throw new RangeError(`fake-upstream: failure "times" must be a positive integer, got ${spec.times}`);
    }
    // Specs also arrive as JSON (FAKE_UPSTREAM_FAILURES), where the type system cannot check them.
    if (spec.kind === 'errorMidStream' && !STREAM_ERROR_KINDS.includes(spec.error)) {
      throw new RangeError(`fake-upstream: errorMidStream "error" must be one of ${STREAM_ERROR_KINDS.join(', ')}, got ${String(spec.error)}`);
    }
    const entry = { id: this.nextId++, spec, remaining: spec.times ?? null, hits: 0 };
    this.entries.push(entry);
    return entry;
  }

  /** Takes the failure the request should suffer, counting it against its `times`. */
  take(target: FailureTarget): FailureSpec | null {
    const entry = this.entries.find((candidate) => applies(candidate.spec, target));
    if (entry === undefined) return null;
    entry.hits += 1;
    if (entry.remaining !== null) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) {
        this.entries.splice(this.entries.indexOf(entry), 1);
      }
    }
    return entry.spec;
  }

  remove(id: number): void {
    const index = this.entries.findIndex((entry) => entry.id === id);
    if (index >= 0) this.entries.splice(index, 1);
  }

  clear(): void {
    this.entries.length = 0;
  }

  list(): readonly InjectedFailure[] {
    return this.entries;
  }
}
