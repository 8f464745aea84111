import { SESSION_KEY_LIFETIME, type ProviderKeyStatus } from '@byok/contracts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const RELATIVE_TIME = new Intl.RelativeTimeFormat('en', { numeric: 'always' });

/**
 * How far off `expiresAt` is, in words ("in 6 days", "in 5 hours"), rounded to the largest whole
 * unit so that a key just set for 7 days reads "in 7 days"; null once it has passed.
 */
function timeUntil(expiresAt: string, now: Date): string | null {
  const remaining = Date.parse(expiresAt) - now.getTime();
  if (remaining <= 0) {
    return null;
  }
  if (remaining >= DAY) {
    return RELATIVE_TIME.format(Math.round(remaining / DAY), 'day');
  }
  if (remaining >= HOUR) {
    return RELATIVE_TIME.format(Math.round(remaining / HOUR), 'hour');
  }
  if (remaining >= MINUTE) {
    return RELATIVE_TIME.format(Math.round(remaining / MINUTE), 'minute');
  }
  return 'in less than a minute';
}

/**
 * When the stored key lapses, as a sentence; null without a stored key. A session key's
 * `expiresAt` is the session's idle timeout, which every use pushes back, so it is not shown as a
 * time. Signing out ends the session only where people sign in, which longer lifetimes imply.
 */
export function keyExpirySentence(status: ProviderKeyStatus, now: Date, signInOffered: boolean): string | null {
  if (status.masked === null) {
    return null;
  }
  if (status.lifetime === SESSION_KEY_LIFETIME) {
    return signInOffered
      ? 'Your key expires when you sign out or the session ends.'
      : 'Your key expires when the session ends.';
  }
  if (status.expiresAt === null) {
    return null;
  }
  const remaining = timeUntil(status.expiresAt, now);
  return remaining === null ? 'Your key has expired.' : `Your key expires ${remaining}.`;
}
