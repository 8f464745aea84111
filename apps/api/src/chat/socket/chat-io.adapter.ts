import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import { SECURE_SESSION_COOKIE, type SessionHandlers } from '../../session/session-middleware.factory';

type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * socket.io server sharing the HTTP session: the handshake runs the same express-session
 * middleware, so a socket reads the same session (and keys) as HTTP requests on any instance.
 * The Origin is checked before the handshake, since CORS alone does not stop cross-site
 * WebSocket hijacking.
 */
export class ChatIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly sessions: SessionHandlers,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: this.config.requestBodyLimitBytes,
      cors: { origin: this.config.allowedOrigins, credentials: true },
      allowRequest: (req: IncomingMessage, callback: (error: string | null, allowed: boolean) => void) =>
        callback(null, this.isAllowedOrigin(req)),
    });
    server.engine.use(this.sessionOnHandshake());
    return server;
  }

  /** Same rule as HTTP requests: this site's own origin (scheme and host) or an allowed one. */
  private isAllowedOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    return origin === `${this.protocolOf(req)}://${req.headers.host ?? ''}` || this.config.allowedOrigins.includes(origin);
  }

  private protocolOf(req: IncomingMessage): string {
    const forwarded = req.headers['x-forwarded-proto'];
    if (this.config.trustProxy !== false && typeof forwarded === 'string') {
      return forwarded.split(',')[0].trim();
    }
    return (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  }

  /** Only the handshake loads the session; later polling requests of the same socket need not. */
  private sessionOnHandshake(): EngineMiddleware {
    return (req, res, next) => {
      const query = new URL(req.url ?? '/', 'http://socket.local').searchParams;
      if (query.has('sid')) {
        next();
        return;
      }
      const secure = (req.headers.cookie ?? '').includes(`${SECURE_SESSION_COOKIE}=`);
      const handler = (secure ? this.sessions.secure : this.sessions.plain) as unknown as EngineMiddleware;
      handler(req, res, next);
    };
  }
}
