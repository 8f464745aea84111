import type { SessionRequest } from '../../session/session-request';
import { ChatFailure } from '../chat-failure';

/**
 * Brings a socket's session up to date before a stream: re-reads it so the stream uses the keys
 * as they are now (not as at the handshake), enforces the absolute lifetime as HTTP requests do,
 * and pushes the idle expiry forward in the store, since chatting is using the app.
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
  if (!touch) return;
  req.session.touch();
  await new Promise<void>((resolve, reject) =>
    touch(req.sessionID, req.session, (error?: unknown) => (error ? reject(storeDown()) : resolve())),
  );
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
