import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { keyringOf } from '../../keys/key-store';
import { ClientIdentity } from '../../limits/client-identity';
import { ConcurrencyLimiter, type Lease } from '../../limits/concurrency-limiter';
import { clientAddressOf, TRUST_FUNCTION, type TrustFunction } from '../../security/trust-proxy';
import { ExtendThrottle, SessionLifetime } from '../../session/session-lifetime';
import type { SessionRequest } from '../../session/session-request';
import { ChatFailure } from '../chat-failure';
import type { ChatCaller } from '../chat.service';

/** A socket's caller, fixed at its handshake: the keyring it reads stays the same for its whole life. */
export interface SocketCaller extends ChatCaller {
  request: SessionRequest;
  /** Gives back the socket's slots under the caps. */
  release(): void;
}

/**
 * Admits chat sockets under the per-session and per-address caps (held while the socket is
 * open, on every instance), and keeps a socket's session alive while it is used for chatting.
 */
@Injectable()
export class SocketAdmission {
  private readonly logger = new Logger(SocketAdmission.name);
  private readonly recentlyExtended: ExtendThrottle;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TRUST_FUNCTION) private readonly trust: TrustFunction,
    private readonly concurrency: ConcurrencyLimiter,
    private readonly identity: ClientIdentity,
    private readonly lifetime: SessionLifetime,
    clock: Clock,
  ) {
    this.recentlyExtended = new ExtendThrottle(clock);
  }

  async admit(handshake: IncomingMessage): Promise<SocketCaller> {
    const request = handshake as unknown as SessionRequest;
    const keyring = keyringOf(request.session);
    const address = clientAddressOf(handshake, this.trust);
    const addressIdentity = this.identity.ofAddress(address, handshake.socket.remoteAddress);
    const [byAddress, bySession] = await Promise.allSettled([
      this.concurrency.acquire('sockets', addressIdentity, this.config.socketMaxPerAddress),
      keyring ? this.concurrency.acquire('sockets', keyring.keyringId, this.config.socketMaxPerSession) : null,
    ]);
    const leases = [byAddress, bySession].flatMap((result) =>
      result.status === 'fulfilled' && result.value ? [result.value] : [],
    );
    const release = (): void => leases.forEach((lease: Lease) => lease.release());
    if (byAddress.status === 'rejected' || bySession.status === 'rejected') {
      release();
      throw new ChatFailure('store_unavailable', 'The session store is unreachable, so your keys cannot be read; try again shortly.');
    }
    if (!byAddress.value || (keyring && !bySession.value)) {
      release();
      throw new ChatFailure(
        'too_many_sockets',
        !byAddress.value
          ? `Too many chat connections from this address (at most ${this.config.socketMaxPerAddress}); close some tabs.`
          : `Too many chat connections in this session (at most ${this.config.socketMaxPerSession}); close some tabs.`,
      );
    }
    return {
      keyring,
      identity: keyring?.keyringId ?? addressIdentity,
      request,
      release,
    };
  }

  /** A socket outlives no session: past the absolute lifetime, a new page load must start a new one. */
  checkLifetime(caller: SocketCaller): void {
    if (caller.keyring && this.lifetime.isPastAbsolute(caller.keyring.createdAt)) {
      throw new ChatFailure('session_expired', 'Your session has reached its maximum lifetime; reload the page to start a new one.');
    }
  }

  /**
   * Chatting is using the app, so it pushes the session's idle expiry forward as HTTP requests
   * do (the keyring's is pushed where the key is read), at most once a minute, off the stream's path.
   */
  extendIfDue({ keyring, request }: SocketCaller): void {
    const store = request.sessionStore;
    if (!keyring || !store?.touch || !this.recentlyExtended.due(request.sessionID)) return;
    request.session.touch();
    store.touch(request.sessionID, request.session, (error?: unknown) => {
      if (error) this.logger.warn(`Session expiry not extended: ${error instanceof Error ? error.message : 'unknown error'}`);
    });
  }
}
