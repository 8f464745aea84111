import { Injectable, Logger } from '@nestjs/common';
import { CHAT_SSE_EVENTS } from '@byok/contracts';
import type { Request, Response } from 'express';
import { callerOf } from '../../auth/caller';
import { DrainService } from '../../lifecycle/drain.service';
import { failureOwed, serverDraining } from '../../lifecycle/server-draining';
import { ChatService } from '../chat.service';
import { chatErrorEventOf } from '../chat-failure';
import type { ChatStartDto } from '../dto/chat-requests.dto';

/**
 * Streams a chat as server-sent events on the HTTP response. Each event is written as soon as
 * it exists (no compression, no proxy buffering), and a client that goes away aborts upstream.
 * While the instance drains, a new stream is refused, and one the drain ends gets its error
 * event, like every other failure of a stream: `server_draining`, which a client retries at once.
 */
@Injectable()
export class SseChatResponder {
  private readonly logger = new Logger(SseChatResponder.name);

  constructor(
    private readonly chat: ChatService,
    private readonly drain: DrainService,
  ) {}

  async respond(req: Request, res: Response, request: ChatStartDto): Promise<void> {
    const caller = callerOf(req);
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    // Tells nginx (and similar proxies) not to buffer this response.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    const send = (event: string, data: object): void => {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const ticket = this.drain.admit(abort);
    try {
      if (!ticket) throw serverDraining();
      const outcome = await this.chat.stream(caller, 'sse', request, abort.signal, (text) =>
        send(CHAT_SSE_EVENTS.delta, { id: request.id, text }),
      );
      send(CHAT_SSE_EVENTS.done, { id: request.id, ...outcome });
    } catch (error) {
      const owed = failureOwed(error, abort.signal);
      if (owed) send(CHAT_SSE_EVENTS.error, chatErrorEventOf(request.id, owed, this.logger));
    } finally {
      ticket?.release();
      res.end();
    }
  }
}
