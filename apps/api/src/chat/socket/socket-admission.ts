import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import type { Caller } from '../../auth/caller';
import { CallerResolver } from '../../auth/caller-resolver';
import { ConcurrencyLimiter, type Lease } from '../../limits/concurrency-limiter';
import { ExtendThrottle, SessionLifetime } from '../../session/session-lifetime';
import type { SessionRequest } from '../../session/session-request';
import { ChatFailure } from '../chat-failure';

/** A socket's caller, fixed at its handshake: the person and keyring it reads stay the same for its whole life. */
export interface SocketCaller extends Caller {
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
    private readonly concurrency: ConcurrencyLimiter,
    private readonly callers: CallerResolver,
    private readonly lifetime: SessionLifetime,
    clock: Clock,
  ) {
    this.recentlyExtended = new ExtendThrottle(clock);
  }

  async admit(handshake: IncomingMessage): Promise<SocketCaller> {
    const request = handshake as unknown as SessionRequest;
    const caller = this.callers.ofHandshake(handshake);
    if (this.config.auth.mode !== 'none' && !caller.person) {
      throw new ChatFailure('unauthenticated', 'Sign in to chat: this connection has no signed-in person.');
    }
    // Per person when signed in, else per session once it has a keyring; a keyless anonymous socket counts by address only.
    const owner = caller.person || caller.keyring ? caller.limitIdentity : null;
    const [byAddress, bySession] = await Promise.allSettled([
      this.concurrency.acquire('sockets', caller.addressIdentity, this.config.socketMaxPerAddress),
      owner ? this.concurrency.acquire('sockets', owner, this.config.socketMaxPerSession) : null,
    ]);
    const leases = [byAddress, bySession].flatMap((result) =>
      result.status === 'fulfilled' && result.value ? [result.value] : [],
    );
    const release = (): void => leases.forEach((lease: Lease) => lease.release());
    if (byAddress.status === 'rejected' || bySession.status === 'rejected') {
      release();
      throw new ChatFailure('store_unavailable', 'The session store is unreachable, so your keys cannot be read; try again shortly.');
    }
    if (!byAddress.value || (owner && !bySession.value)) {
      release();
      throw new ChatFailure(
        'too_many_sockets',
        !byAddress.value
          ? `Too many chat connections from this address (at most ${this.config.socketMaxPerAddress}); close some tabs.`
          : `Too many chat connections ${caller.person ? 'for one person' : 'in this session'} (at most ${this.config.socketMaxPerSession}); close some tabs.`,
      );
    }
    return { ...caller, request, release };
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
