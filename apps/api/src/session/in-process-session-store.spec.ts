import type { SessionData } from 'express-session';
import { InProcessSessionStore, InProcessSessionTable } from './in-process-session-store';

const T0 = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;

function session(expiresAt: number | null, extra: Partial<SessionData> = {}): SessionData {
  return {
    cookie: { originalMaxAge: null, expires: expiresAt === null ? null : new Date(expiresAt), httpOnly: true, path: '/' },
    createdAt: T0,
    keyringId: 'seed',
    ...extra,
  } as unknown as SessionData;
}

function getFrom(store: InProcessSessionStore, sid: string): Promise<SessionData | null | undefined> {
  return new Promise((resolve, reject) => store.get(sid, (err, value) => (err ? reject(err) : resolve(value))));
}

function call(fn: (callback: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

describe('InProcessSessionTable', () => {
  let now: number;
  let table: InProcessSessionTable;

  beforeEach(() => {
    now = T0;
    table = new InProcessSessionTable(() => now);
  });

  afterEach(() => table.close());

  it('returns what was set', () => {
    table.set('sid-1', session(T0 + 10 * MINUTE, { keyringId: 'abc' }));
    expect(table.get('sid-1')).toMatchObject({ keyringId: 'abc', createdAt: T0 });
  });

  it('returns null for an unknown session', () => {
    expect(table.get('nope')).toBeNull();
  });

  it('stores a copy, so later changes to the object are not seen', () => {
    const data = session(T0 + 10 * MINUTE, { keyringId: 'before' });
    table.set('sid-1', data);
    data.keyringId = 'after';
    const read = table.get('sid-1');
    expect(read?.keyringId).toBe('before');
    if (read) read.keyringId = 'mutated';
    expect(table.get('sid-1')?.keyringId).toBe('before');
  });

  it('keeps a session until just before its cookie expires', () => {
    table.set('sid-1', session(T0 + 10 * MINUTE));
    now = T0 + 10 * MINUTE - 1;
    expect(table.get('sid-1')).not.toBeNull();
  });

  it('expires a session when its cookie expires', () => {
    table.set('sid-1', session(T0 + 10 * MINUTE));
    now = T0 + 10 * MINUTE;
    expect(table.get('sid-1')).toBeNull();
    expect(table.size).toBe(0);
  });

  it('reads cookie.expires given as an ISO string (as after a JSON round trip)', () => {
    const data = session(null);
    (data.cookie as unknown as { expires: string }).expires = new Date(T0 + MINUTE).toISOString();
    table.set('sid-1', data);
    now = T0 + MINUTE;
    expect(table.get('sid-1')).toBeNull();
  });

  it('keeps a session without cookie expiry for 24 hours', () => {
    table.set('sid-1', session(null));
    now = T0 + 24 * 60 * MINUTE - 1;
    expect(table.get('sid-1')).not.toBeNull();
    now = T0 + 24 * 60 * MINUTE;
    expect(table.get('sid-1')).toBeNull();
  });

  it('touch moves the expiry to the new cookie expiry', () => {
    table.set('sid-1', session(T0 + 10 * MINUTE));
    now = T0 + 5 * MINUTE;
    table.touch('sid-1', session(T0 + 15 * MINUTE));
    now = T0 + 12 * MINUTE;
    expect(table.get('sid-1')).not.toBeNull();
  });

  it('touch does not bring back a session that is gone', () => {
    table.touch('sid-1', session(T0 + 15 * MINUTE));
    expect(table.get('sid-1')).toBeNull();
  });

  it('prune removes expired sessions and keeps live ones', () => {
    table.set('expired-1', session(T0 + MINUTE));
    table.set('expired-2', session(T0 + 2 * MINUTE));
    table.set('live', session(T0 + 10 * MINUTE));
    now = T0 + 5 * MINUTE;
    table.prune();
    expect(table.size).toBe(1);
    expect(table.get('live')).not.toBeNull();
  });

  it('prunes on its own every minute', () => {
    jest.useFakeTimers();
    try {
      const timed = new InProcessSessionTable(() => now);
      timed.set('expired', session(T0 + MINUTE));
      now = T0 + 2 * MINUTE;
      expect(timed.size).toBe(1);
      jest.advanceTimersByTime(MINUTE);
      expect(timed.size).toBe(0);
      timed.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('delete removes a session', () => {
    table.set('sid-1', session(T0 + 10 * MINUTE));
    table.delete('sid-1');
    expect(table.get('sid-1')).toBeNull();
    expect(table.size).toBe(0);
  });
});

describe('InProcessSessionStore', () => {
  let now: number;
  let table: InProcessSessionTable;

  beforeEach(() => {
    now = T0;
    table = new InProcessSessionTable(() => now);
  });

  afterEach(() => table.close());

  it('gets a session after set', async () => {
    const store = new InProcessSessionStore(table);
    await call((done) => store.set('sid-1', session(T0 + 10 * MINUTE, { keyringId: 'abc' }), done));
    expect(await getFrom(store, 'sid-1')).toMatchObject({ keyringId: 'abc' });
  });

  it('gets null once the cookie has expired', async () => {
    const store = new InProcessSessionStore(table);
    await call((done) => store.set('sid-1', session(T0 + 10 * MINUTE), done));
    now = T0 + 10 * MINUTE;
    expect(await getFrom(store, 'sid-1')).toBeNull();
  });

  it('gets null after destroy', async () => {
    const store = new InProcessSessionStore(table);
    await call((done) => store.set('sid-1', session(T0 + 10 * MINUTE), done));
    await call((done) => store.destroy('sid-1', done));
    expect(await getFrom(store, 'sid-1')).toBeNull();
    expect(table.size).toBe(0);
  });

  it('touch extends the session', async () => {
    const store = new InProcessSessionStore(table);
    await call((done) => store.set('sid-1', session(T0 + 10 * MINUTE), done));
    await call((done) => store.touch('sid-1', session(T0 + 20 * MINUTE), () => done()));
    now = T0 + 15 * MINUTE;
    expect(await getFrom(store, 'sid-1')).not.toBeNull();
  });

  it('shares sessions between two stores over one table', async () => {
    const first = new InProcessSessionStore(table);
    const second = new InProcessSessionStore(table);
    await call((done) => first.set('sid-1', session(T0 + 10 * MINUTE, { keyringId: 'shared' }), done));
    expect(await getFrom(second, 'sid-1')).toMatchObject({ keyringId: 'shared' });
    await call((done) => second.destroy('sid-1', done));
    expect(await getFrom(first, 'sid-1')).toBeNull();
  });

  it('does not share sessions between stores over different tables', async () => {
    const other = new InProcessSessionTable(() => now);
    try {
      await call((done) => new InProcessSessionStore(table).set('sid-1', session(T0 + 10 * MINUTE), done));
      expect(await getFrom(new InProcessSessionStore(other), 'sid-1')).toBeNull();
    } finally {
      other.close();
    }
  });
});
