import { Injectable, Logger } from '@nestjs/common';
import { CHAT_SSE_EVENTS } from '@byok/contracts';
import type { Request, Response } from 'express';
import { callerOf } from '../../auth/caller';
import { ChatService } from '../chat.service';
import { ChatCancelled, chatErrorEventOf } from '../chat-failure';
import type { ChatStartDto } from '../dto/chat-requests.dto';

/**
 * Streams a chat as server-sent events on the HTTP response. Each event is written as soon as
 * it exists (no compression, no proxy buffering), and a client that goes away aborts upstream.
 */
@Injectable()
export class SseChatResponder {
  private readonly logger = new Logger(SseChatResponder.name);

  constructor(private readonly chat: ChatService) {}

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
    try {
      const outcome = await this.chat.stream(caller, 'sse', request, abort.signal, (text) =>
        send(CHAT_SSE_EVENTS.delta, { id: request.id, text }),
      );
      send(CHAT_SSE_EVENTS.done, { id: request.id, ...outcome });
    } catch (error) {
      if (error instanceof ChatCancelled) return;
      send(CHAT_SSE_EVENTS.error, chatErrorEventOf(request.id, error, this.logger));
    } finally {
      res.end();
    }
  }
}
