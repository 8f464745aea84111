import { Inject, Injectable } from '@nestjs/common';
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

  isPastAbsolute(createdAt: number): boolean {
    return this.clock.now() - createdAt > this.config.sessionAbsoluteTimeoutMs;
  }
}
