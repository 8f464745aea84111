import { Injectable } from '@nestjs/common';
import type { KeySource } from '@byok/contracts';
import type { SessionRequest } from '../session/session-request';
import { PinoLogger } from 'nestjs-pino';
import type { Secret } from '../common/secret';
import { Fingerprinter } from '../crypto/fingerprinter';

export type KeyAuditEvent = 'set' | 'replaced' | 'cleared' | 'validated' | 'validation_failed' | 'refused_by_policy';

export interface KeyAuditEntry {
  event: KeyAuditEvent;
  provider: string;
  source: KeySource;
  /** The key concerned; recorded only as its keyed fingerprint. */
  key?: Secret | null;
  /** A short reason (policy refusal, validation failure); never secret material. */
  detail?: string;
  /** The session the event concerns when it is no longer the request's (cleared by ending it). */
  sessionId?: string;
}

/**
 * Structured audit lines for key events. They identify keys and sessions by keyed hashes, so an
 * auditor can follow one key or one session through the log without the log holding either.
 */
@Injectable()
export class KeyAuditLog {
  constructor(
    private readonly logger: PinoLogger,
    private readonly fingerprinter: Fingerprinter,
  ) {
    this.logger.setContext('KeyAudit');
  }

  record(req: SessionRequest, entry: KeyAuditEntry): void {
    this.logger.info(
      {
        audit: {
          event: entry.event,
          provider: entry.provider,
          source: entry.source,
          keyFingerprint: entry.key ? this.fingerprinter.of(entry.key) : null,
          session: this.fingerprinter.of(`session:${entry.sessionId ?? req.sessionID}`),
          requestId: String(req.id ?? ''),
          detail: entry.detail,
          at: new Date().toISOString(),
        },
      },
      `key ${entry.event}`,
    );
  }
}
