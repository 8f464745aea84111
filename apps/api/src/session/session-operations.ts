import type { SessionRequest } from './session-request';
import { storeUnavailable } from '../common/errors/api-exception';

/**
 * Promise forms of express-session's callback API. A store failure here is an outage of the
 * session store (Redis), reported as 503; the session in the store is left as it was.
 */
export function regenerateSession(req: SessionRequest): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((error: unknown) => (error ? reject(storeUnavailable()) : resolve())),
  );
}

export function saveSession(req: SessionRequest): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.save((error: unknown) => (error ? reject(storeUnavailable()) : resolve())),
  );
}
