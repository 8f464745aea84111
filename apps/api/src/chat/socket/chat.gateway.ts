import { Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  CHAT_NAMESPACE,
  type ChatClientToServerEvents,
  type ChatErrorEvent,
  type ChatServerToClientEvents,
} from '@byok/contracts';
import type { Namespace, Socket } from 'socket.io';
import { validatePayload } from '../../common/validate-payload';
import { ChatService } from '../chat.service';
import { ChatCancelled, ChatFailure, chatErrorEventOf } from '../chat-failure';
import { ChatCancelDto, ChatStartDto } from '../dto/chat-requests.dto';
import { SocketAdmission, type SocketCaller } from './socket-admission';

type ChatSocket = Socket<ChatClientToServerEvents, ChatServerToClientEvents>;

interface ConnectionState {
  caller: SocketCaller;
  streams: Map<string, AbortController>;
}

@WebSocketGateway({ namespace: CHAT_NAMESPACE })
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(ChatGateway.name);
  private readonly connections = new WeakMap<ChatSocket, ConnectionState>();

  constructor(
    private readonly chat: ChatService,
    private readonly admission: SocketAdmission,
  ) {}

  /** Sockets over the caps are refused at the handshake, with a code the client can show. */
  afterInit(namespace: Namespace): void {
    namespace.use((socket, next) => {
      this.admission.admit(socket.request).then(
        (caller) => {
          socket.once('disconnect', () => caller.release());
          this.connections.set(socket, { caller, streams: new Map() });
          next();
        },
        (error: unknown) => next(refusalOf(error)),
      );
    });
  }

  handleConnection(socket: ChatSocket): void {
    const state = this.connections.get(socket);
    // Tells the client whether this socket reads a keyring; one opened before the session's first key does not.
    if (state) socket.emit('chat:ready', { keyring: state.caller.keyring !== null });
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
    if (state.streams.has(request.id)) {
      const duplicate: ChatErrorEvent = { id: request.id, code: 'bad_request', message: 'A stream with this id is already running.' };
      socket.emit('chat:error', duplicate);
      return;
    }
    const abort = new AbortController();
    state.streams.set(request.id, abort);
    try {
      this.admission.checkLifetime(state.caller);
      this.admission.extendIfDue(state.caller);
      const outcome = await this.chat.stream(state.caller, 'socket', request, abort.signal, (text) =>
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
}

function refusalOf(error: unknown): Error {
  if (error instanceof ChatFailure) return Object.assign(new Error(error.message), { data: { code: error.code } });
  return Object.assign(new Error('The connection could not be admitted; try again shortly.'), {
    data: { code: 'store_unavailable' },
  });
}

export function streamIdOf(payload: unknown): string {
  const id = typeof payload === 'object' && payload !== null ? (payload as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length <= 64 ? id : '';
}
