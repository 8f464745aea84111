import { DestroyRef, Injectable, InjectionToken, inject, signal } from '@angular/core';
import {
  CHAT_ERROR_CODES,
  CHAT_NAMESPACE,
  type ChatClientToServerEvents,
  type ChatDoneEvent,
  type ChatErrorCode,
  type ChatServerToClientEvents,
  type ChatStartRequest,
  RETRYABLE_CHAT_ERROR_CODES,
} from '@byok/contracts';
import { Observable, type Subscriber } from 'rxjs';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { API_BASE_URL } from './api-base-url';
import { AuthRedirect } from './auth-redirect';

export type ChatClientSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;
export type ChatSocketOptions = Partial<ManagerOptions & SocketOptions>;
export type ChatSocketFactory = (uri: string, options: ChatSocketOptions) => ChatClientSocket;

/** How the socket is made; tests replace it with a fake. */
export const CHAT_SOCKET_FACTORY = new InjectionToken<ChatSocketFactory>('CHAT_SOCKET_FACTORY', {
  providedIn: 'root',
  factory: () => io,
});

/** The server's chat error codes, plus the failure only the client can see: a lost connection. */
export const CHAT_STREAM_ERROR_CODES = [...CHAT_ERROR_CODES, 'disconnected'] as const;
export type ChatStreamErrorCode = (typeof CHAT_STREAM_ERROR_CODES)[number];

export interface ChatStreamError {
  readonly code: ChatStreamErrorCode;
  readonly message: string;
  /** Seconds to wait before retrying, when the provider said. */
  readonly retryAfter?: number;
}

/**
 * What one stream yields; it completes after `done` or `error`. `retry` means the server ended the
 * stream with a retryable error (its instance is restarting) and the stream is being asked again,
 * once, on a new connection: the text yielded so far is void, and the answer starts over.
 */
export type ChatStreamEvent =
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'retry'; readonly error: ChatStreamError }
  | { readonly type: 'done'; readonly done: ChatDoneEvent }
  | { readonly type: 'error'; readonly error: ChatStreamError };

/**
 * Where the socket connects for a given API base URL. The namespace is always `/chat`; a path
 * prefix moves the engine's endpoint (`/prefix/socket.io`), not the namespace.
 */
export function chatSocketTarget(baseUrl: string): { uri: string; path: string } {
  const trimmed = baseUrl.replace(/\/+$/, '');
  if (/^https?:\/\//i.test(trimmed)) {
    const url = new URL(trimmed);
    return { uri: url.origin + CHAT_NAMESPACE, path: `${url.pathname.replace(/\/+$/, '')}/socket.io` };
  }
  return { uri: CHAT_NAMESPACE, path: `${trimmed}/socket.io` };
}

/**
 * A stream id the server accepts (at most 64 characters). `crypto.randomUUID` would be simpler
 * but only exists in secure contexts, and the app may be tried over plain HTTP on a LAN.
 */
export function newStreamId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const CONNECTION_LOST = 'The connection to the chat server was interrupted. Try again.';
const CONNECTION_FAILED = 'The chat server could not be reached. Check your connection and try again.';
const SERVER_RESTARTED = 'The chat server restarted during the answer. Try again.';

/**
 * Handshakes the server refuses on purpose, with a reason worth showing: no one is signed in, its
 * session store is down, or this session or address already has too many chat sockets open.
 * Retrying at once would not help.
 */
const HANDSHAKE_REFUSALS: readonly ChatErrorCode[] = ['unauthenticated', 'store_unavailable', 'too_many_sockets'];

function handshakeRefusal(code: unknown): ChatErrorCode | null {
  return HANDSHAKE_REFUSALS.find((refusal) => refusal === code) ?? null;
}

/**
 * A draining instance refuses handshakes until it has gone; the load balancer may still send a
 * new connection there for a moment. Waiting streams wait through these refusals, the connection
 * tried again after 0.5 s, 1 s, 2 s, 4 s and then every 5 s, about 40 s in all (beyond the
 * default DRAIN_TIMEOUT of 30 s), before they fail.
 */
const DRAINING_RETRY_DELAYS_MS: readonly number[] = [500, 1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000, 5000];

interface StreamEntry {
  readonly request: ChatStartRequest;
  readonly subscriber: Subscriber<ChatStreamEvent>;
  /** Already asked again once after a retryable error; the next such error is the stream's end. */
  readonly retried: boolean;
}

/**
 * The chat gateway over socket.io, one observable per stream. Subscribing starts the stream,
 * unsubscribing cancels it on the server.
 *
 * A server that is shutting down (a rolling restart) ends its streams with the retryable
 * `server_draining` and then sends the socket away (`chat:reconnect`, then a disconnect). Each
 * such stream is asked again once, with the same request, over a new connection, which the load
 * balancer gives to another instance; the subscriber sees `retry` and stays open. A second
 * `server_draining` for the same stream is its error.
 *
 * A socket reads its session's keyring, so once bound to one (`chat:ready` with `keyring: true`)
 * it sees every later key change and never needs a new handshake. Only a socket opened before the
 * session's first key is unbound: that key gives the session a new id (against fixation), which
 * the socket's handshake never saw. Such a socket is replaced once, at the next stream after
 * `keysChanged()`, and only when no stream is running, so a key change never cuts an answer off.
 */
@Injectable({ providedIn: 'root' })
export class ChatSocket {
  private readonly factory = inject(CHAT_SOCKET_FACTORY);
  private readonly baseUrl = inject(API_BASE_URL);
  private readonly redirect = inject(AuthRedirect);
  private socket: ChatClientSocket | null = null;
  /**
   * Streams not sent yet. They wait for a connection rather than relying on socket.io's send
   * buffer, so a stream that failed while offline is not started later behind the user's back,
   * and one asked for during a rebind goes out over the handshake with the new session cookie.
   */
  private readonly waiting = new Map<string, StreamEntry>();
  private readonly running = new Map<string, StreamEntry>();
  private readonly connectedState = signal(false);
  /** What this connection's `chat:ready` said; null until it arrives, so an unknown socket is not trusted. */
  private keyring: boolean | null = null;
  /** The keys changed while the socket was not known to be bound, so its handshake may be stale. */
  private rebindPending = false;
  /** This connection's server is draining: nothing new goes over it, and it is replaced once no stream runs on it. */
  private sentAway = false;
  /** Handshakes refused in a row by draining instances, and the timer of the next attempt. */
  private drainingRefusals = 0;
  private drainingRetry: ReturnType<typeof setTimeout> | null = null;

  readonly connected = this.connectedState.asReadonly();

  constructor() {
    inject(DestroyRef).onDestroy(() => this.disconnect());
  }

  connect(): void {
    const socket = this.ensureSocket();
    if (!socket.active) {
      this.handshake(socket);
    }
  }

  /** Closes the connection and ends every stream with a `disconnected` error. */
  disconnect(): void {
    this.stopDrainingRetry();
    this.socket?.disconnect();
    this.failWaiting(CONNECTION_LOST);
  }

  /**
   * To be called after the user set or cleared a key. A socket bound to the keyring already sees
   * the change; any other socket may predate the session's first key (and its new session id), so
   * the next stream gets a fresh handshake first. Nothing reconnects here: the user may not chat
   * again, and a running answer must not be cut off.
   */
  keysChanged(): void {
    if (this.socket && this.keyring !== true) {
      this.rebindPending = true;
    }
  }

  stream(request: ChatStartRequest): Observable<ChatStreamEvent> {
    return new Observable<ChatStreamEvent>((subscriber) => {
      const socket = this.ensureSocket();
      if (this.rebindPending && this.running.size === 0 && socket.active) {
        // Drop the stale connection first, so the new stream waits for the fresh handshake.
        socket.disconnect();
      }
      const entry: StreamEntry = { request, subscriber, retried: false };
      if (socket.connected && !this.sentAway) {
        this.running.set(request.id, entry);
        socket.emit('chat:start', request);
      } else {
        this.waiting.set(request.id, entry);
        if (!socket.active && this.drainingRetry === null) {
          this.handshake(socket);
        }
      }
      return () => this.cancel(request.id);
    });
  }

  /** Stops a stream: the server aborts the upstream request at once. */
  cancel(id: string): void {
    const waiting = this.waiting.get(id);
    if (waiting) {
      this.waiting.delete(id);
      waiting.subscriber.complete();
      return;
    }
    const running = this.running.get(id);
    if (running) {
      this.running.delete(id);
      this.socket?.emit('chat:cancel', { id });
      running.subscriber.complete();
      this.replaceIfSentAway();
    }
  }

  /** A new handshake sends the browser's current session cookie, so it settles any pending rebind. */
  private handshake(socket: ChatClientSocket): void {
    this.rebindPending = false;
    socket.connect();
  }

  private ensureSocket(): ChatClientSocket {
    if (this.socket) {
      return this.socket;
    }
    const { uri, path } = chatSocketTarget(this.baseUrl);
    const socket = this.factory(uri, {
      path,
      withCredentials: true,
      transports: ['websocket', 'polling'],
      // Without it socket.io never falls back to long-polling when a proxy blocks WebSockets.
      tryAllTransports: true,
    });
    socket.on('connect', () => {
      this.connectedState.set(true);
      this.sentAway = false;
      this.drainingRefusals = 0;
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const entry of waiting) {
        this.running.set(entry.request.id, entry);
        socket.emit('chat:start', entry.request);
      }
    });
    socket.on('chat:ready', ({ keyring }) => {
      this.keyring = keyring;
      // Bound now, so a key change made during the handshake is seen without another one.
      if (keyring) {
        this.rebindPending = false;
      }
    });
    socket.on('chat:reconnect', () => {
      this.sentAway = true;
      this.replaceIfSentAway();
    });
    socket.on('disconnect', (reason: string) => {
      this.connectedState.set(false);
      // The next connection is a new handshake and says for itself whether it is bound.
      this.keyring = null;
      // The server drops a socket's streams with it; nothing more will arrive for them.
      const running = [...this.running.values()];
      this.running.clear();
      if (!this.sentAway) {
        this.fail(running.map((entry) => entry.subscriber), CONNECTION_LOST);
        return;
      }
      // A draining server ends every stream it has before it sends the socket away, so one
      // without an ending here crossed the disconnect and never reached it: ask it again.
      for (const entry of running) {
        this.askAgain(entry, { code: 'server_draining', message: SERVER_RESTARTED });
      }
      // socket.io reconnects by itself after a lost connection, never after the server's own disconnect.
      if (reason === 'io server disconnect' && this.waiting.size > 0) {
        this.handshake(socket);
      }
    });
    socket.on('connect_error', (error: Error & { data?: { code?: unknown } }) => {
      this.connectedState.set(false);
      if (error.data?.code === 'server_draining') {
        if (!this.retryAfterDrainingRefusal(socket)) {
          this.failWaiting(error.message, 'server_draining');
        }
        return;
      }
      const refusal = handshakeRefusal(error.data?.code);
      this.redirect.refused(refusal);
      if (refusal) {
        this.failWaiting(error.message, refusal);
      } else {
        this.failWaiting(CONNECTION_FAILED);
      }
    });
    socket.on('chat:delta', ({ id, text }) => this.running.get(id)?.subscriber.next({ type: 'delta', text }));
    socket.on('chat:done', (done) => this.finish(done.id, { type: 'done', done }));
    socket.on('chat:error', ({ id, code, message, retryAfter }) => {
      // A session can end while its socket stays open, e.g. signed out in another tab.
      this.redirect.refused(code);
      const error: ChatStreamError = retryAfter === undefined ? { code, message } : { code, message, retryAfter };
      const entry = this.running.get(id);
      if (entry && !entry.retried && RETRYABLE_CHAT_ERROR_CODES.includes(code)) {
        this.running.delete(id);
        // This server will not take the stream again; the next connection goes elsewhere.
        this.sentAway = true;
        this.askAgain(entry, error);
        this.replaceIfSentAway();
        return;
      }
      this.finish(id, { type: 'error', error });
    });
    this.socket = socket;
    return socket;
  }

  private finish(id: string, event: ChatStreamEvent): void {
    const entry = this.running.get(id);
    if (!entry) {
      return;
    }
    this.running.delete(id);
    entry.subscriber.next(event);
    entry.subscriber.complete();
    this.replaceIfSentAway();
  }

  /** Puts a stream the server ended with a retryable error back in line, for the next connection. */
  private askAgain(entry: StreamEntry, error: ChatStreamError): void {
    if (entry.retried) {
      entry.subscriber.next({ type: 'error', error });
      entry.subscriber.complete();
      return;
    }
    this.waiting.set(entry.request.id, { ...entry, retried: true });
    entry.subscriber.next({ type: 'retry', error });
  }

  /**
   * Once no stream runs on a connection whose server is draining, streams waiting to be asked
   * again get a new connection (the load balancer picks another instance for it). Without one
   * waiting, the next stream connects.
   */
  private replaceIfSentAway(): void {
    const socket = this.socket;
    if (!socket || !this.sentAway || this.running.size > 0 || this.waiting.size === 0 || this.drainingRetry !== null) {
      return;
    }
    socket.disconnect();
    this.handshake(socket);
  }

  /** Whether the waiting streams wait for another attempt (false: they have waited long enough, or none waits). */
  private retryAfterDrainingRefusal(socket: ChatClientSocket): boolean {
    const delay = DRAINING_RETRY_DELAYS_MS[this.drainingRefusals];
    if (this.waiting.size === 0 || delay === undefined) {
      this.drainingRefusals = 0;
      return false;
    }
    this.drainingRefusals += 1;
    // Drops the refused connection, so the next attempt is a new one the balancer may send elsewhere.
    socket.disconnect();
    this.drainingRetry = setTimeout(() => {
      this.drainingRetry = null;
      if (this.waiting.size > 0) {
        this.handshake(socket);
      }
    }, delay);
    return true;
  }

  private stopDrainingRetry(): void {
    if (this.drainingRetry !== null) {
      clearTimeout(this.drainingRetry);
      this.drainingRetry = null;
    }
    this.drainingRefusals = 0;
  }

  private failWaiting(message: string, code: ChatStreamErrorCode = 'disconnected'): void {
    const waiting = [...this.waiting.values()].map((entry) => entry.subscriber);
    this.waiting.clear();
    this.fail(waiting, message, code);
  }

  private fail(
    subscribers: readonly Subscriber<ChatStreamEvent>[],
    message: string,
    code: ChatStreamErrorCode = 'disconnected',
  ): void {
    for (const subscriber of subscribers) {
      subscriber.next({ type: 'error', error: { code, message } });
      subscriber.complete();
    }
  }
}
