import type { SessionRequest } from '../../session/session-request';
import { ChatFailure } from '../chat-failure';

/**
 * A socket pushes the idle expiry forward at most this often: every stream of a chat would
 * otherwise pay a second Redis round trip before its first token, to move a deadline hours
 * away by a few seconds.
 */
const TOUCH_INTERVAL_MS = 60_000;

/** When each socket (its handshake request) last extended its session in the store. */
const lastTouched = new WeakMap<SessionRequest, number>();

/**
 * Brings a socket's session up to date before a stream: re-reads it so the stream uses the keys
 * as they are now (not as at the handshake), enforces the absolute lifetime as HTTP requests do,
 * and pushes the idle expiry forward in the store (at most once a minute), since chatting is using the app.
 * Setting a key replaces the session id, so a socket opened before must reconnect.
 */
export async function refreshSocketSession(req: SessionRequest, absoluteTimeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    req.session.reload((error: unknown) => (error ? reject(reloadFailure(error)) : resolve())),
  );
  const createdAt = req.session.createdAt;
  if (createdAt !== undefined && Date.now() - createdAt > absoluteTimeoutMs) {
    throw new ChatFailure('session_expired', 'Your session has reached its maximum lifetime; reload the page to start a new one.');
  }
  const touch = req.sessionStore?.touch?.bind(req.sessionStore);
  const now = Date.now();
  if (!touch || now - (lastTouched.get(req) ?? 0) < TOUCH_INTERVAL_MS) return;
  req.session.touch();
  await new Promise<void>((resolve, reject) =>
    touch(req.sessionID, req.session, (error?: unknown) => (error ? reject(storeDown()) : resolve())),
  );
  lastTouched.set(req, now);
}

function reloadFailure(error: unknown): ChatFailure {
  // express-session's own message when the store no longer has the session.
  const gone = error instanceof Error && /failed to load session/.test(error.message);
  return gone
    ? new ChatFailure(
        'session_changed',
        'Your session changed since this connection opened (a key was set or cleared); reconnect to continue.',
      )
    : storeDown();
}

function storeDown(): ChatFailure {
  return new ChatFailure('store_unavailable', 'The session store is unreachable, so your keys cannot be read; try again shortly.');
}
