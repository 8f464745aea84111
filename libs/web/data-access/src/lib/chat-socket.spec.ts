import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { API_ROUTES, type AuthSessionResponse, type ChatStartRequest } from '@byok/contracts';
import type { Subscription } from 'rxjs';
import { BrowserLocation } from './browser-location';
import {
  CHAT_SOCKET_FACTORY,
  ChatSocket,
  chatSocketTarget,
  newStreamId,
  type ChatClientSocket,
  type ChatSocketOptions,
  type ChatStreamEvent,
} from './chat-socket';

type Handler = (...args: unknown[]) => void;

/** The part of a socket.io client socket that ChatSocket uses, driven by the test as the server. */
class FakeSocket {
  connected = false;
  /** True while the socket is connected or trying to (socket.io's `active`). */
  active = true;
  readonly emitted: Array<[string, unknown]> = [];
  readonly calls: string[] = [];
  private readonly handlers = new Map<string, Handler[]>();

  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  emit(event: string, payload: unknown): this {
    this.emitted.push([event, payload]);
    return this;
  }

  connect(): this {
    this.calls.push('connect');
    this.active = true;
    return this;
  }

  disconnect(): this {
    this.calls.push('disconnect');
    const wasConnected = this.connected;
    this.connected = false;
    this.active = false;
    if (wasConnected) {
      this.fire('disconnect', 'io client disconnect');
    }
    return this;
  }

  serverAccepts(): void {
    this.connected = true;
    this.fire('connect');
  }

  /** The server closes the socket itself (`socket.disconnect()` there); socket.io then does not reconnect. */
  serverDisconnects(): void {
    this.connected = false;
    this.active = false;
    this.fire('disconnect', 'io server disconnect');
  }

  fire(event: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      handler(...args);
    }
  }
}

function request(id: string, text = 'Hi'): ChatStartRequest {
  return { id, provider: 'openai', model: 'gpt-4o', messages: [{ role: 'user', content: text }] };
}

describe('ChatSocket', () => {
  let fake: FakeSocket;
  let created: Array<{ uri: string; options: ChatSocketOptions }>;
  let socket: ChatSocket;
  let http: HttpTestingController;
  let visited: string[];

  function record(stream: ReturnType<ChatSocket['stream']>): { events: ChatStreamEvent[]; completed: () => boolean; subscription: Subscription } {
    const events: ChatStreamEvent[] = [];
    let completed = false;
    const subscription = stream.subscribe({ next: (event) => events.push(event), complete: () => (completed = true) });
    return { events, completed: () => completed, subscription };
  }

  /** Opens the socket (the page never connects eagerly) and lets the server accept it. */
  function open(): void {
    socket.connect();
    fake.serverAccepts();
  }

  beforeEach(() => {
    fake = new FakeSocket();
    created = [];
    visited = [];
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        {
          provide: CHAT_SOCKET_FACTORY,
          useValue: (uri: string, options: ChatSocketOptions) => {
            created.push({ uri, options });
            return fake as unknown as ChatClientSocket;
          },
        },
      ],
    });
    socket = TestBed.inject(ChatSocket);
    http = TestBed.inject(HttpTestingController);
    const location = TestBed.inject(BrowserLocation);
    vi.spyOn(location, 'pathAndQuery').mockReturnValue('/');
    vi.spyOn(location, 'assign').mockImplementation((url) => visited.push(url));
  });

  afterEach(() => http.verify());

  it('connects to the /chat namespace with credentials, WebSocket first and a polling fallback', () => {
    socket.connect();

    expect(created).toEqual([
      {
        uri: '/chat',
        options: expect.objectContaining({
          path: '/socket.io',
          withCredentials: true,
          transports: ['websocket', 'polling'],
        }),
      },
    ]);
  });

  it('sends chat:start once connected and yields the deltas of that stream in order, then done', () => {
    const stream = record(socket.stream(request('s1')));
    expect(fake.emitted).toEqual([]);

    fake.serverAccepts();
    expect(fake.emitted).toEqual([['chat:start', request('s1')]]);
    expect(socket.connected()).toBe(true);

    fake.fire('chat:delta', { id: 's1', text: 'Hel' });
    fake.fire('chat:delta', { id: 'other', text: 'not mine' });
    fake.fire('chat:delta', { id: 's1', text: 'lo' });
    fake.fire('chat:done', { id: 's1', finishReason: 'stop', credentialSource: 'session' });

    expect(stream.events).toEqual([
      { type: 'delta', text: 'Hel' },
      { type: 'delta', text: 'lo' },
      { type: 'done', done: { id: 's1', finishReason: 'stop', credentialSource: 'session' } },
    ]);
    expect(stream.completed()).toBe(true);
  });

  it('sends chat:cancel when the caller stops a running stream, and nothing more arrives', () => {
    fake.serverAccepts();
    const stream = record(socket.stream(request('s1')));

    socket.cancel('s1');
    fake.fire('chat:delta', { id: 's1', text: 'late' });

    expect(fake.emitted).toContainEqual(['chat:cancel', { id: 's1' }]);
    expect(stream.events).toEqual([]);
    expect(stream.completed()).toBe(true);
  });

  it('cancels on the server when the subscriber unsubscribes', () => {
    fake.serverAccepts();
    record(socket.stream(request('s1'))).subscription.unsubscribe();

    expect(fake.emitted).toEqual([
      ['chat:start', request('s1')],
      ['chat:cancel', { id: 's1' }],
    ]);
  });

  it('does not cancel a stream that already finished', () => {
    fake.serverAccepts();
    const stream = record(socket.stream(request('s1')));
    fake.fire('chat:done', { id: 's1', finishReason: 'stop', credentialSource: 'env' });
    stream.subscription.unsubscribe();

    expect(fake.emitted.map(([event]) => event)).toEqual(['chat:start']);
  });

  it("yields the server's error with its code and retryAfter, then completes", () => {
    fake.serverAccepts();
    const stream = record(socket.stream(request('s1')));
    fake.fire('chat:error', { id: 's1', code: 'rate_limited', message: 'Slow down.', retryAfter: 12 });

    expect(stream.events).toEqual([
      { type: 'error', error: { code: 'rate_limited', message: 'Slow down.', retryAfter: 12 } },
    ]);
    expect(stream.completed()).toBe(true);
    expect(fake.calls).toEqual([]);
  });

  it('rebinds a socket opened before the first key once, at the next stream after keysChanged', () => {
    open();
    fake.fire('chat:ready', { keyring: false });

    socket.keysChanged();
    expect(fake.calls).toEqual([]);

    const stream = record(socket.stream(request('s1')));
    expect(fake.calls).toEqual(['disconnect', 'connect']);
    expect(fake.emitted).toEqual([]);
    expect(stream.completed()).toBe(false);

    fake.serverAccepts();
    fake.fire('chat:ready', { keyring: true });
    expect(fake.emitted).toEqual([['chat:start', request('s1')]]);
    fake.fire('chat:done', { id: 's1', finishReason: 'stop', credentialSource: 'session' });

    record(socket.stream(request('s2')));
    expect(fake.calls).toEqual(['disconnect', 'connect']);
    expect(fake.emitted.at(-1)).toEqual(['chat:start', request('s2')]);
  });

  it('treats a socket that has not said chat:ready yet as unbound', () => {
    open();

    socket.keysChanged();
    record(socket.stream(request('s1')));

    expect(fake.calls).toEqual(['disconnect', 'connect']);
  });

  it('never reconnects a socket bound to the keyring, however often the keys change', () => {
    open();
    fake.fire('chat:ready', { keyring: true });

    socket.keysChanged();
    record(socket.stream(request('s1')));
    fake.fire('chat:done', { id: 's1', finishReason: 'stop', credentialSource: 'session' });
    socket.keysChanged();
    record(socket.stream(request('s2')));

    expect(fake.calls).toEqual([]);
    expect(fake.emitted).toEqual([
      ['chat:start', request('s1')],
      ['chat:start', request('s2')],
    ]);
  });

  it('forgets chat:ready on disconnect, so the next connection must say again that it is bound', () => {
    open();
    fake.fire('chat:ready', { keyring: true });
    fake.fire('disconnect', 'transport close');
    fake.serverAccepts();

    socket.keysChanged();
    record(socket.stream(request('s1')));

    expect(fake.calls).toEqual(['disconnect', 'connect']);
  });

  it('does not cut a running stream when the keys change; the rebind waits until none runs', () => {
    open();
    fake.fire('chat:ready', { keyring: false });
    const running = record(socket.stream(request('s1')));

    socket.keysChanged();
    const alongside = record(socket.stream(request('s2')));

    expect(fake.calls).toEqual([]);
    expect(fake.emitted).toEqual([
      ['chat:start', request('s1')],
      ['chat:start', request('s2')],
    ]);
    fake.fire('chat:delta', { id: 's1', text: 'still here' });
    expect(running.events).toEqual([{ type: 'delta', text: 'still here' }]);
    expect(running.completed()).toBe(false);

    fake.fire('chat:done', { id: 's1', finishReason: 'stop', credentialSource: 'env' });
    fake.fire('chat:done', { id: 's2', finishReason: 'stop', credentialSource: 'env' });
    expect(alongside.completed()).toBe(true);
    record(socket.stream(request('s3')));

    expect(fake.calls).toEqual(['disconnect', 'connect']);
    fake.serverAccepts();
    expect(fake.emitted.at(-1)).toEqual(['chat:start', request('s3')]);
  });

  it('needs no rebind when the keys change before any socket exists', () => {
    socket.keysChanged();
    record(socket.stream(request('s1')));

    expect(created).toHaveLength(1);
    expect(fake.calls).toEqual([]);
  });

  it('fails waiting streams when the server cannot be reached, and never sends them later', () => {
    const stream = record(socket.stream(request('s1')));
    fake.fire('connect_error', new Error('xhr poll error'));

    expect(stream.events).toEqual([
      { type: 'error', error: { code: 'disconnected', message: expect.stringContaining('could not be reached') } },
    ]);
    fake.serverAccepts();
    expect(fake.emitted).toEqual([]);
  });

  it("passes on the server's reason when it refuses the handshake because its session store is down", () => {
    const stream = record(socket.stream(request('s1')));
    const refusal = Object.assign(new Error('The session store is unreachable, so your keys cannot be read; try again shortly.'), {
      data: { code: 'store_unavailable' },
    });
    fake.fire('connect_error', refusal);

    expect(stream.events).toEqual([
      { type: 'error', error: { code: 'store_unavailable', message: expect.stringContaining('session store is unreachable') } },
    ]);
  });

  it("fails waiting streams with too_many_sockets and the server's reason when it refuses the handshake", () => {
    const stream = record(socket.stream(request('s1')));
    const refusal = Object.assign(new Error('Too many chat connections are open for your session; close another tab.'), {
      data: { code: 'too_many_sockets' },
    });
    fake.fire('connect_error', refusal);

    expect(stream.events).toEqual([
      {
        type: 'error',
        error: { code: 'too_many_sockets', message: 'Too many chat connections are open for your session; close another tab.' },
      },
    ]);
    expect(stream.completed()).toBe(true);
    fake.serverAccepts();
    expect(fake.emitted).toEqual([]);
  });

  it('fails waiting streams and sends the browser to sign in when the handshake is refused as unauthenticated', () => {
    const stream = record(socket.stream(request('s1')));
    const refusal = Object.assign(new Error('Sign in to chat.'), { data: { code: 'unauthenticated' } });
    fake.fire('connect_error', refusal);
    fake.fire('connect_error', refusal);

    expect(stream.events).toEqual([{ type: 'error', error: { code: 'unauthenticated', message: 'Sign in to chat.' } }]);
    const signedOut: AuthSessionResponse = { mode: 'oidc', person: null, signInUrl: API_ROUTES.signIn, canSignOut: true };
    http.expectOne(API_ROUTES.authSession).flush(signedOut);
    expect(visited).toEqual([`${API_ROUTES.signIn}?returnTo=%2F`]);
  });

  it('sends the browser to sign in when a stream is refused because the session was signed out elsewhere', () => {
    open();
    const stream = record(socket.stream(request('s1')));
    fake.fire('chat:error', { id: 's1', code: 'unauthenticated', message: 'You were signed out.' });

    expect(stream.events).toEqual([{ type: 'error', error: { code: 'unauthenticated', message: 'You were signed out.' } }]);
    const signedOut: AuthSessionResponse = { mode: 'proxy', person: null, signInUrl: '/oauth2/start', canSignOut: true };
    http.expectOne(API_ROUTES.authSession).flush(signedOut);
    expect(visited).toEqual(['/oauth2/start?returnTo=%2F']);
  });

  it('does not send anyone to sign in for other refusals', () => {
    record(socket.stream(request('s1')));
    fake.fire('connect_error', Object.assign(new Error('Too many.'), { data: { code: 'too_many_sockets' } }));
    fake.fire('connect_error', new Error('xhr poll error'));

    http.expectNone(API_ROUTES.authSession);
    expect(visited).toEqual([]);
  });

  it('does not create a socket just because the keys changed', () => {
    socket.keysChanged();

    expect(created).toEqual([]);
  });

  describe('when the server drains (a rolling restart)', () => {
    const draining = { code: 'server_draining', message: 'The chat server is restarting.' };

    afterEach(() => vi.useRealTimers());

    it('asks a stream the server ended with server_draining again, once, over a new connection, with the same request', () => {
      open();
      const stream = record(socket.stream(request('s1', 'Tell me more')));
      fake.fire('chat:delta', { id: 's1', text: 'Half an ans' });
      fake.fire('chat:error', { id: 's1', ...draining });

      expect(stream.events).toEqual([
        { type: 'delta', text: 'Half an ans' },
        { type: 'retry', error: draining },
      ]);
      expect(stream.completed()).toBe(false);
      expect(fake.calls).toEqual(['disconnect', 'connect']);

      fake.serverAccepts();
      expect(fake.emitted).toEqual([
        ['chat:start', request('s1', 'Tell me more')],
        ['chat:start', request('s1', 'Tell me more')],
      ]);
      fake.fire('chat:delta', { id: 's1', text: 'A whole answer' });
      fake.fire('chat:done', { id: 's1', finishReason: 'stop', credentialSource: 'session' });

      expect(stream.events.slice(2)).toEqual([
        { type: 'delta', text: 'A whole answer' },
        { type: 'done', done: { id: 's1', finishReason: 'stop', credentialSource: 'session' } },
      ]);
      expect(stream.completed()).toBe(true);
    });

    it('shows a second server_draining for the same stream as its error, and asks no third time', () => {
      open();
      const stream = record(socket.stream(request('s1')));
      fake.fire('chat:error', { id: 's1', ...draining });
      fake.serverAccepts();
      fake.fire('chat:error', { id: 's1', ...draining });

      expect(stream.events).toEqual([
        { type: 'retry', error: draining },
        { type: 'error', error: draining },
      ]);
      expect(stream.completed()).toBe(true);
      expect(fake.emitted.filter(([event]) => event === 'chat:start')).toHaveLength(2);
      expect(fake.calls).toEqual(['disconnect', 'connect']);
    });

    it('keeps a draining connection until its other streams end, and sends new streams over the next one', () => {
      open();
      const drained = record(socket.stream(request('s1')));
      const finishing = record(socket.stream(request('s2')));
      fake.fire('chat:error', { id: 's1', ...draining });
      const later = record(socket.stream(request('s3')));

      expect(fake.calls).toEqual([]);
      expect(fake.emitted.map(([, payload]) => (payload as { id: string }).id)).toEqual(['s1', 's2']);
      fake.fire('chat:delta', { id: 's2', text: 'still coming' });
      fake.fire('chat:done', { id: 's2', finishReason: 'stop', credentialSource: 'env' });

      expect(finishing.events.map((event) => event.type)).toEqual(['delta', 'done']);
      expect(fake.calls).toEqual(['disconnect', 'connect']);
      fake.serverAccepts();
      expect(fake.emitted.slice(2)).toEqual([
        ['chat:start', request('s1')],
        ['chat:start', request('s3')],
      ]);
      expect(drained.completed()).toBe(false);
      expect(later.events).toEqual([]);
    });

    it('asks again a stream still open when the server sends the socket away, and connects again itself', () => {
      open();
      const crossed = record(socket.stream(request('s1')));
      fake.fire('chat:reconnect', { code: 'server_draining' });
      fake.serverDisconnects();

      expect(crossed.events).toEqual([{ type: 'retry', error: { code: 'server_draining', message: expect.any(String) } }]);
      expect(fake.calls).toEqual(['connect']);
      fake.serverAccepts();
      expect(fake.emitted).toEqual([
        ['chat:start', request('s1')],
        ['chat:start', request('s1')],
      ]);
    });

    it('still reports a plain server disconnect (not announced as a drain) as a lost connection, without reconnecting', () => {
      open();
      const stream = record(socket.stream(request('s1')));
      fake.serverDisconnects();

      expect(stream.events).toEqual([{ type: 'error', error: { code: 'disconnected', message: expect.stringContaining('interrupted') } }]);
      expect(fake.calls).toEqual([]);
    });

    it('leaves a socket sent away with nothing waiting closed; the next stream connects', () => {
      open();
      fake.fire('chat:reconnect', { code: 'server_draining' });
      fake.serverDisconnects();
      expect(fake.calls).toEqual([]);

      record(socket.stream(request('s1')));
      expect(fake.calls).toEqual(['connect']);
      fake.serverAccepts();
      expect(fake.emitted).toEqual([['chat:start', request('s1')]]);
    });

    it('waits through handshakes refused by a draining instance, trying again later on a new connection', () => {
      vi.useFakeTimers();
      const stream = record(socket.stream(request('s1')));
      const refusal = Object.assign(new Error('The chat server is restarting.'), { data: { code: 'server_draining' } });
      fake.fire('connect_error', refusal);

      expect(stream.events).toEqual([]);
      expect(fake.calls).toEqual(['disconnect']);
      vi.advanceTimersByTime(499);
      expect(fake.calls).toEqual(['disconnect']);
      vi.advanceTimersByTime(1);
      expect(fake.calls).toEqual(['disconnect', 'connect']);

      fake.fire('connect_error', refusal);
      vi.advanceTimersByTime(999);
      expect(fake.calls).toEqual(['disconnect', 'connect', 'disconnect']);
      vi.advanceTimersByTime(1);
      fake.serverAccepts();

      expect(fake.emitted).toEqual([['chat:start', request('s1')]]);
      expect(stream.events).toEqual([]);
      http.expectNone(API_ROUTES.authSession);
    });

    it('fails the waiting streams with server_draining once draining instances have refused them for about 40 s', () => {
      vi.useFakeTimers();
      const stream = record(socket.stream(request('s1')));
      const refusal = Object.assign(new Error('The chat server is restarting.'), { data: { code: 'server_draining' } });
      let waited = 0;
      for (let attempt = 0; attempt < 10; attempt++) {
        fake.fire('connect_error', refusal);
        const before = fake.calls.length;
        while (fake.calls.length === before) {
          vi.advanceTimersByTime(100);
          waited += 100;
        }
      }
      expect(stream.events).toEqual([]);
      fake.fire('connect_error', refusal);

      expect(waited).toBeGreaterThan(35_000);
      expect(stream.events).toEqual([{ type: 'error', error: { code: 'server_draining', message: 'The chat server is restarting.' } }]);
      expect(stream.completed()).toBe(true);
    });

    it('completes a stream cancelled while it waits to be asked again, and never sends it', () => {
      open();
      fake.fire('chat:ready', { keyring: true });
      const kept = record(socket.stream(request('s1')));
      const other = record(socket.stream(request('s2')));
      fake.fire('chat:error', { id: 's1', ...draining });
      socket.cancel('s1');
      fake.fire('chat:done', { id: 's2', finishReason: 'stop', credentialSource: 'env' });

      expect(kept.completed()).toBe(true);
      expect(other.completed()).toBe(true);
      // Nothing waits any more, so nothing reconnects: the next stream will.
      expect(fake.calls).toEqual([]);
    });
  });
});

describe('chatSocketTarget', () => {
  it.each([
    ['', { uri: '/chat', path: '/socket.io' }],
    ['/byok/', { uri: '/chat', path: '/byok/socket.io' }],
    ['https://chat.example.com', { uri: 'https://chat.example.com/chat', path: '/socket.io' }],
    ['https://example.com/byok/', { uri: 'https://example.com/chat', path: '/byok/socket.io' }],
  ])('keeps the /chat namespace and moves only the engine path for base URL %j', (baseUrl, target) => {
    expect(chatSocketTarget(baseUrl)).toEqual(target);
  });
});

describe('newStreamId', () => {
  it('makes distinct ids within the contract limit', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newStreamId()));

    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});
