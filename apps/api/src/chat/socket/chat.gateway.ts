import { Inject, Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  CHAT_NAMESPACE,
  type ChatClientToServerEvents,
  type ChatErrorEvent,
  type ChatServerToClientEvents,
} from '@byok/contracts';
import type { Socket } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { validatePayload } from '../../common/validate-payload';
import type { SessionRequest } from '../../session/session-request';
import { ChatService } from '../chat.service';
import { ChatCancelled, chatErrorEventOf } from '../chat-failure';
import { ChatCancelDto, ChatStartDto } from '../dto/chat-requests.dto';
import { refreshSocketSession } from './socket-session';
import { StreamRateLimiter } from './stream-rate-limiter';

type ChatSocket = Socket<ChatClientToServerEvents, ChatServerToClientEvents>;

interface ConnectionState {
  streams: Map<string, AbortController>;
  limiter: StreamRateLimiter;
  /** Whether the handshake found a stored session (one that can later be replaced). */
  hadSession: boolean;
}

@WebSocketGateway({ namespace: CHAT_NAMESPACE })
export class ChatGateway implements OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(ChatGateway.name);
  private readonly connections = new WeakMap<ChatSocket, ConnectionState>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly chat: ChatService,
  ) {}

  handleConnection(socket: ChatSocket): void {
    const session = sessionRequestOf(socket).session;
    this.connections.set(socket, {
      streams: new Map(),
      limiter: new StreamRateLimiter(this.config.chatRateLimit),
      hadSession: session?.createdAt !== undefined,
    });
  }

  handleDisconnect(socket: ChatSocket): void {
    const state = this.connections.get(socket);
    for (const controller of state?.streams.values() ?? []) controller.abort();
    state?.streams.clear();
  }

  @SubscribeMessage('chat:start')
  async start(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<void> {
    const state = this.connections.get(socket);
    if (!state) return;
    const parsed = await validatePayload(ChatStartDto, payload);
    if (!parsed.ok) {
      socket.emit('chat:error', { id: streamIdOf(payload), code: 'bad_request', message: parsed.message });
      return;
    }
    const request = parsed.value;
    const refusal = this.admit(state, request.id);
    if (refusal) {
      socket.emit('chat:error', refusal);
      return;
    }
    const abort = new AbortController();
    state.streams.set(request.id, abort);
    try {
      const req = sessionRequestOf(socket);
      if (state.hadSession) await refreshSocketSession(req, this.config.sessionAbsoluteTimeoutMs);
      const outcome = await this.chat.stream(req, request, abort.signal, (text) =>
        socket.emit('chat:delta', { id: request.id, text }),
      );
      socket.emit('chat:done', { id: request.id, ...outcome });
    } catch (error) {
      if (!(error instanceof ChatCancelled)) socket.emit('chat:error', chatErrorEventOf(request.id, error, this.logger));
    } finally {
      state.streams.delete(request.id);
    }
  }

  @SubscribeMessage('chat:cancel')
  async cancel(@ConnectedSocket() socket: ChatSocket, @MessageBody() payload: unknown): Promise<void> {
    const parsed = await validatePayload(ChatCancelDto, payload);
    if (!parsed.ok) {
      socket.emit('chat:error', { id: streamIdOf(payload), code: 'bad_request', message: parsed.message });
      return;
    }
    this.connections.get(socket)?.streams.get(parsed.value.id)?.abort();
  }

  private admit(state: ConnectionState, id: string): ChatErrorEvent | null {
    if (state.streams.has(id)) {
      return { id, code: 'bad_request', message: `A stream with id "${id}" is already running.` };
    }
    if (state.streams.size >= this.config.chatMaxStreams) {
      return {
        id,
        code: 'too_many_streams',
        message: `At most ${this.config.chatMaxStreams} streams may run at once on one connection.`,
      };
    }
    const allowed = state.limiter.tryStart();
    if (allowed !== true) {
      return { id, code: 'rate_limited', message: `Too many chats started; retry in ${allowed} s.`, retryAfter: allowed };
    }
    return null;
  }
}

function sessionRequestOf(socket: ChatSocket): SessionRequest {
  return socket.request as unknown as SessionRequest;
}

function streamIdOf(payload: unknown): string {
  const id = typeof payload === 'object' && payload !== null ? (payload as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length <= 64 ? id : '';
}
