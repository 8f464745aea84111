import { Injectable } from '@nestjs/common';
import type { ChatTransport, KeySource } from '@byok/contracts';
import type { Request } from 'express';
import { PinoLogger } from 'nestjs-pino';
import type { Caller } from '../auth/caller';
import type { Secret } from '../common/secret';
import { Fingerprinter } from '../crypto/fingerprinter';
import { ClientIdentity } from '../limits/client-identity';
import { Metrics } from '../metrics/metrics';
import type { SessionRequest } from '../session/session-request';

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

/** One chat stream, however it ended: who used which provider on whose key, and the outcome. */
export interface StreamAuditEntry {
  provider: string;
  transport: ChatTransport;
  /** Where the key came from; `none` for a stream refused before a key was picked. */
  source: KeySource;
  /** `done`, `cancelled`, or the stream error's code. */
  outcome: string;
}

/**
 * Structured audit lines for key events, sign-ins and chat streams. They identify keys, sessions
 * and people by keyed hashes, so an auditor can follow one key, session or person through the
 * log, and see who used the server's keys, without the log holding any of them (nor an email or name).
 * Key events and ended streams are counted in the metrics here too, by their closed labels only.
 */
@Injectable()
export class AuditLog {
  constructor(
    private readonly logger: PinoLogger,
    private readonly fingerprinter: Fingerprinter,
    private readonly identity: ClientIdentity,
    private readonly metrics: Metrics,
  ) {
    this.logger.setContext('Audit');
  }

  key(req: Request, entry: KeyAuditEntry): void {
    this.metrics.keyEvent(entry.event);
    this.logger.info(
      {
        audit: {
          event: entry.event,
          provider: entry.provider,
          source: entry.source,
          keyFingerprint: entry.key ? this.fingerprinter.of(entry.key) : null,
          session: this.sessionRef(entry.sessionId ?? req.sessionID),
          person: this.personRef(req.caller?.person?.id),
          requestId: String(req.id ?? ''),
          detail: entry.detail,
          at: new Date().toISOString(),
        },
      },
      `key ${entry.event}`,
    );
  }

  signIn(req: SessionRequest, personId: string): void {
    this.logger.info(
      { audit: { event: 'signed_in', person: this.personRef(personId), session: this.sessionRef(req.sessionID), at: new Date().toISOString() } },
      'signed in',
    );
  }

  /** `forgotten`: the providers whose session-only keys went with the sign-in. */
  signOut(req: SessionRequest, personId: string, forgotten: string[]): void {
    this.logger.info(
      {
        audit: {
          event: 'signed_out',
          person: this.personRef(personId),
          session: this.sessionRef(req.sessionID),
          forgotten,
          at: new Date().toISOString(),
        },
      },
      'signed out',
    );
  }

  stream(caller: Caller, entry: StreamAuditEntry): void {
    this.metrics.streamEnded(entry);
    this.logger.info(
      {
        audit: {
          event: 'chat_stream',
          provider: entry.provider,
          transport: entry.transport,
          source: entry.source,
          outcome: entry.outcome,
          person: this.personRef(caller.person?.id),
          caller: caller.limitIdentity,
          at: new Date().toISOString(),
        },
      },
      'chat stream',
    );
  }

  private sessionRef(sessionId: string): string {
    return this.fingerprinter.of(`session:${sessionId}`);
  }

  private personRef(personId: string | undefined): string | null {
    return personId === undefined ? null : this.identity.ofPerson(personId);
  }
}
