import { Store, type SessionData } from 'express-session';

interface Entry {
  json: string;
  expiresAt: number;
}

const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const PRUNE_INTERVAL_MS = 60_000;

/**
 * The sessions of one process, for a single instance without Redis. Entries expire like Redis
 * keys would (from the cookie's expiry) and are pruned every minute, so memory stays bounded by
 * the active sessions. Values are kept as JSON, as in Redis, so both stores behave alike.
 */
export class InProcessSessionTable {
  private readonly entries = new Map<string, Entry>();
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  get(sid: string): SessionData | null {
    const entry = this.entries.get(sid);
    if (!entry || entry.expiresAt <= this.now()) {
      this.entries.delete(sid);
      return null;
    }
    return JSON.parse(entry.json) as SessionData;
  }

  set(sid: string, session: SessionData): void {
    this.entries.set(sid, { json: JSON.stringify(session), expiresAt: this.expiryOf(session) });
  }

  touch(sid: string, session: SessionData): void {
    const entry = this.entries.get(sid);
    if (entry) entry.expiresAt = this.expiryOf(session);
  }

  delete(sid: string): void {
    this.entries.delete(sid);
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    clearInterval(this.pruneTimer);
  }

  prune(): void {
    const now = this.now();
    for (const [sid, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(sid);
    }
  }

  private expiryOf(session: SessionData): number {
    const expires = session.cookie?.expires;
    return expires ? new Date(expires).getTime() : this.now() + DEFAULT_TTL_MS;
  }
}

/** express-session's Store interface over a shared table (express-session needs one Store object per handler). */
export class InProcessSessionStore extends Store {
  constructor(private readonly table: InProcessSessionTable) {
    super();
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    callback(null, this.table.get(sid));
  }

  override set(sid: string, session: SessionData, callback?: (err?: unknown) => void): void {
    this.table.set(sid, session);
    callback?.();
  }

  override touch(sid: string, session: SessionData, callback?: () => void): void {
    this.table.touch(sid, session);
    callback?.();
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.table.delete(sid);
    callback?.();
  }
}
