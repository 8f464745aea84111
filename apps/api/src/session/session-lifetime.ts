import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/**
 * How often activity may push a stored record's expiry forward. Each push is a Redis write, and
 * moving a deadline hours away by a few seconds is not worth one per request or stream.
 */
export const EXTEND_INTERVAL_MS = 60_000;

/** The idle and absolute lifetime of a session, and of the keyring that lives as long as it. */
@Injectable()
export class SessionLifetime {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** When a session begun at `createdAt` lapses if it is not used again from now on. */
  expiresAt(createdAt: number): number {
    return Math.min(this.clock.now() + this.config.sessionIdleTimeoutMs, createdAt + this.config.sessionAbsoluteTimeoutMs);
  }

  /**
   * The keyring's expiry: the session's, plus the interval between pushes for the idle part, so a
   * keyring pushed a minute ago never lapses before the session that the last request renewed.
   */
  keyringExpiresAt(createdAt: number): number {
    return Math.min(
      this.clock.now() + this.config.sessionIdleTimeoutMs + EXTEND_INTERVAL_MS,
      createdAt + this.config.sessionAbsoluteTimeoutMs,
    );
  }

  /** When a session begun at `createdAt` ends however it is used. */
  absoluteEnd(createdAt: number): number {
    return createdAt + this.config.sessionAbsoluteTimeoutMs;
  }

  isPastAbsolute(createdAt: number): boolean {
    return this.clock.now() - createdAt > this.config.sessionAbsoluteTimeoutMs;
  }
}

/** Records whose expiry this instance pushed lately; past this many, the oldest are pushed again early. */
const RECENTLY_EXTENDED_MAX = 100_000;

/** Says yes at most once per EXTEND_INTERVAL_MS for each id, on this instance. */
export class ExtendThrottle {
  private readonly recent: LRUCache<string, true>;

  constructor(clock: Clock) {
    // ttlResolution 0: each check reads the injected clock, not a time cached until a real timer fires.
    this.recent = new LRUCache({ max: RECENTLY_EXTENDED_MAX, ttl: EXTEND_INTERVAL_MS, ttlResolution: 0, perf: clock });
  }

  /** True when `id` is due, and counts it as extended from now. */
  due(id: string): boolean {
    if (this.recent.has(id)) return false;
    this.recent.set(id, true);
    return true;
  }

  /** Counts `id` as extended now, by a write that carried its expiry anyway. */
  extended(id: string): void {
    this.recent.set(id, true);
  }
}
