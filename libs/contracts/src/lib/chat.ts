import type { ChatErrorCode } from './errors';
import type { KeySource } from './key-status';
import type { ProviderId } from './providers';

/** socket.io namespace of the chat gateway. */
export const CHAT_NAMESPACE = '/chat';

export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatOptions {
  maxTokens?: number;
  temperature?: number;
}

/** Limits the server enforces on a chat request; clients can check before sending. */
export const CHAT_LIMITS = {
  maxMessages: 200,
  maxMessageChars: 32_000,
  maxTotalChars: 200_000,
  maxIdLength: 64,
  maxModelLength: 128,
} as const;

/** Client → server: start a stream. `id` is chosen by the client and names the stream in every event. */
export interface ChatStartRequest {
  id: string;
  provider: ProviderId;
  model: string;
  messages: ChatMessage[];
  options?: ChatOptions;
}

/** Client → server: stop the stream with this id; the upstream request is aborted at once. */
export interface ChatCancelRequest {
  id: string;
}

export interface ChatDeltaEvent {
  id: string;
  text: string;
}

export interface ChatUsage {
  inputTokens?: number;
  outputTokens?: number;
}

export interface ChatDoneEvent {
  id: string;
  finishReason: string;
  usage?: ChatUsage;
  /** Which key served this answer, so the UI can show it discreetly. */
  credentialSource: KeySource;
}

export interface ChatErrorEvent {
  id: string;
  code: ChatErrorCode;
  message: string;
  /** Seconds to wait before retrying, when the provider said (rate limits). */
  retryAfter?: number;
}

/**
 * Sent once a socket is connected. A socket reads the keyring its session had at the handshake;
 * `keyring: false` means it was opened before the session's first key, which gives the session a
 * new id (against fixation), so a client should open a new socket after setting that first key.
 */
export interface ChatReadyEvent {
  keyring: boolean;
}

/**
 * Sent just before the server closes a socket because its instance is shutting down (a rolling
 * restart). Every stream of the socket has ended by then, the drained ones with `server_draining`.
 * socket.io does not reconnect after a disconnect the server asked for, so the client connects
 * again itself, and the load balancer sends it to another instance.
 */
export interface ChatReconnectEvent {
  code: Extract<ChatErrorCode, 'server_draining'>;
}

/** socket.io event names, typed for both ends (server emits and client listens to the same map). */
export interface ChatServerToClientEvents {
  'chat:ready': (event: ChatReadyEvent) => void;
  'chat:delta': (event: ChatDeltaEvent) => void;
  'chat:done': (event: ChatDoneEvent) => void;
  'chat:error': (event: ChatErrorEvent) => void;
  'chat:reconnect': (event: ChatReconnectEvent) => void;
}

export interface ChatClientToServerEvents {
  'chat:start': (request: ChatStartRequest) => void;
  'chat:cancel': (request: ChatCancelRequest) => void;
}

/** Server-sent event names of `POST /api/chat/stream`, carrying the same payloads as the socket events. */
export const CHAT_SSE_EVENTS = { delta: 'delta', done: 'done', error: 'error' } as const;

export interface ModelSummary {
  id: string;
  name: string;
}

export interface ProviderModelsResponse {
  provider: ProviderId;
  models: ModelSummary[];
}

/** The two ways a chat streams: the socket.io `/chat` namespace, and server-sent events over HTTP. */
export const CHAT_TRANSPORTS = ['socket', 'sse'] as const;
export type ChatTransport = (typeof CHAT_TRANSPORTS)[number];
