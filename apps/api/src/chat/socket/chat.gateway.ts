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
  type ChatErrorCode,
  type ChatErrorEvent,
  type ChatServerToClientEvents,
} from '@byok/contracts';
import type { Namespace, Socket } from 'socket.io';
import { validatePayload } from '../../common/validate-payload';
import { DrainService } from '../../lifecycle/drain.service';
import { failureOwed, SERVER_DRAINING_MESSAGE, serverDraining } from '../../lifecycle/server-draining';
import { ChatService } from '../chat.service';
import { ChatFailure, chatErrorEventOf } from '../chat-failure';
import { ChatCancelDto, ChatStartDto } from '../dto/chat-requests.dto';
import { SocketAdmission, type SocketCaller } from './socket-admission';

type ChatSocket = Socket<ChatClientToServerEvents, ChatServerToClientEvents>;
type ChatNamespace = Namespace<ChatClientToServerEvents, ChatServerToClientEvents>;

interface ConnectionState {
  caller: SocketCaller;
  streams: Map<string, AbortController>;
}

@WebSocketGateway({ namespace: CHAT_NAMESPACE })
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(ChatGateway.name);
  private readonly connections = new WeakMap<ChatSocket, ConnectionState>();
  /** Connections of the sockets sent away, until they have closed. */
  private readonly leaving = new Set<Promise<void>>();

  constructor(
    private readonly chat: ChatService,
    private readonly admission: SocketAdmission,
    private readonly drain: DrainService,
  ) {}

  /**
   * Sockets over the caps are refused at the handshake, with a code the client can show; so is
   * every socket while the instance drains. A draining instance sends each socket away as soon as
   * it has no stream running, and every one that is left once the drain is done.
   */
  afterInit(namespace: ChatNamespace): void {
    this.drain.subscribe({
      drainStarted: () => this.sendAwayIdle(namespace),
      drained: async () => {
        this.sendAwayIdle(namespace);
        // Closing the app under them would cut the reconnect request off before it is out.
        await Promise.all(this.leaving);
      },
    });
    namespace.use((socket, next) => {
      if (this.drain.draining) {
        next(Object.assign(new Error(SERVER_DRAINING_MESSAGE), { data: { code: 'server_draining' satisfies ChatErrorCode } }));
        return;
      }
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
    // Admitted just before the drain began: nothing has run on it yet, so it may as well go now.
    if (this.drain.draining) {
      this.sendAway(socket);
      return;
    }
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
    const ticket = this.drain.admit(abort);
    state.streams.set(request.id, abort);
    try {
      if (!ticket) throw serverDraining();
      this.admission.checkLifetime(state.caller);
      this.admission.extendIfDue(state.caller);
      const outcome = await this.chat.stream(state.caller, 'socket', request, abort.signal, (text) =>
        socket.emit('chat:delta', { id: request.id, text }),
      );
      socket.emit('chat:done', { id: request.id, ...outcome });
    } catch (error) {
      const owed = failureOwed(error, abort.signal);
      if (owed) socket.emit('chat:error', chatErrorEventOf(request.id, owed, this.logger));
    } finally {
      ticket?.release();
      state.streams.delete(request.id);
      if (this.drain.draining && state.streams.size === 0) this.sendAway(socket);
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

  private sendAwayIdle(namespace: ChatNamespace): void {
    for (const socket of namespace.sockets.values()) {
      if (!this.connections.get(socket)?.streams.size) this.sendAway(socket);
    }
  }

  /**
   * Asks the client to connect again (socket.io never does by itself after a disconnect the
   * server asked for), then closes the connection once those packets are out.
   */
  private sendAway(socket: ChatSocket): void {
    if (!socket.connected) return;
    const closed = new Promise<void>((resolve) => socket.conn.once('close', () => resolve()));
    this.leaving.add(closed);
    void closed.then(() => this.leaving.delete(closed));
    socket.emit('chat:reconnect', { code: 'server_draining' });
    socket.disconnect(true);
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
