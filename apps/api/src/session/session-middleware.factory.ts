import { RedisStore } from 'connect-redis';
import session, { type Store } from 'express-session';
import type { RequestHandler } from 'express';
import type { RedisClient } from '../redis/redis.module';
import type { AppConfig } from '../config/app-config';
import { InProcessSessionStore, type InProcessSessionTable } from './in-process-session-store';

export const SESSION_COOKIE = 'byok.sid';
/** Over TLS the cookie takes the `__Host-` prefix: Secure, host-only, path /, so no subdomain can plant it. */
export const SECURE_SESSION_COOKIE = '__Host-byok.sid';
export const REDIS_SESSION_PREFIX = 'byok:sess:';

/** Where sessions live: RedisClient, shared by every instance, or this process's table. */
export type SessionBackend = { redis: RedisClient } | { table: InProcessSessionTable };

export interface SessionHandlers {
  plain: RequestHandler;
  secure: RequestHandler;
}

/**
 * Two express-session handlers over one backend: the request's protocol (with `trust proxy`,
 * the proxy's X-Forwarded-Proto) picks the one whose cookie is Secure and `__Host-` named.
 * Each handler gets its own Store object, since express-session writes its hooks onto it.
 */
export function createSessionHandlers(config: AppConfig, backend: SessionBackend): SessionHandlers {
  const build = (secure: boolean): RequestHandler =>
    session({
      name: secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE,
      secret: config.sessionSecrets.map((secret) => secret.reveal()),
      store: storeFor(backend),
      resave: false,
      saveUninitialized: false,
      // Each response pushes the idle timeout forward, in the cookie and in the store's TTL.
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: config.sessionIdleTimeoutMs },
    });
  return { plain: build(false), secure: build(true) };
}

function storeFor(backend: SessionBackend): Store {
  return 'redis' in backend
    ? new RedisStore({ client: backend.redis, prefix: REDIS_SESSION_PREFIX })
    : new InProcessSessionStore(backend.table);
}
