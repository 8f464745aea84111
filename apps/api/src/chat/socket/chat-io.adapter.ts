import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHAT_NAMESPACE, type ChatErrorCode } from '@byok/contracts';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import { HOST_REFUSED_MESSAGE, hostAllowed } from '../../security/host-policy';
import { originAllowed } from '../../security/origin-policy';
import { protocolOf, type TrustFunction } from '../../security/trust-proxy';
import type { SessionHandlers } from '../../session/session-middleware.factory';

type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** A handshake request, with what Express would have decided for the same request. */
export type HandshakeRequest = IncomingMessage & { secure?: boolean };

/**
 * socket.io server sharing the HTTP session: the handshake runs the same express-session
 * middleware, so a socket reads the same session (and keyring) as HTTP requests on any
 * instance. The Origin is checked before the handshake, since CORS alone does not stop
 * cross-site WebSocket hijacking.
 */
export class ChatIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly sessions: SessionHandlers,
    private readonly trust: TrustFunction,
  ) {
    super(app);
  }

  /** Handshakes whose session the store could not load (Redis down): refused with the reason. */
  private readonly storeFailures = new WeakSet<IncomingMessage>();

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: this.config.requestBodyLimitBytes,
      cors: { origin: this.config.allowedOrigins, credentials: true },
      // The HTTP rules, in the same order: the Host first (421 there; engine.io answers 400 or 403), then the Origin.
      allowRequest: (req: IncomingMessage, callback: (error: string | null, allowed: boolean) => void) => {
        if (!hostAllowed(req.headers.host, this.config.allowedHosts)) {
          callback(HOST_REFUSED_MESSAGE, false);
          return;
        }
        callback(null, this.isAllowedOrigin(req));
      },
    });
    server.engine.use(this.sessionOnHandshake());
    // Failing the engine handshake would reach the client as a bare "websocket error"; a
    // namespace refusal arrives as connect_error with a message and code it can show and act on.
    server.of(CHAT_NAMESPACE).use((socket, next) => {
      if (!this.storeFailures.has(socket.request)) {
        next();
        return;
      }
      const refusal = new Error('The session store is unreachable, so your keys cannot be read; try again shortly.');
      next(Object.assign(refusal, { data: { code: 'store_unavailable' satisfies ChatErrorCode } }));
    });
    return server;
  }

  /** Same rule as HTTP requests: this site's own origin (scheme and host) or an allowed one. */
  private isAllowedOrigin(req: IncomingMessage): boolean {
    return originAllowed(req.headers.origin, `${protocolOf(req, this.trust)}://${req.headers.host ?? ''}`, this.config.allowedOrigins);
  }

  /** Only the handshake loads the session; later polling requests of the same socket need not. */
  private sessionOnHandshake(): EngineMiddleware {
    return (req: HandshakeRequest, res, next) => {
      const query = new URL(req.url ?? '/', 'http://socket.local').searchParams;
      if (query.has('sid')) {
        next();
        return;
      }
      // The cookie the HTTP routes would pick for this protocol, so both see the same session.
      req.secure = protocolOf(req, this.trust) === 'https';
      const handler = (req.secure ? this.sessions.secure : this.sessions.plain) as unknown as EngineMiddleware;
      // express-session passes only store failures on; the namespace refuses such a socket.
      handler(req, res, (error?: unknown) => {
        if (error) this.storeFailures.add(req);
        next();
      });
    };
  }
}
