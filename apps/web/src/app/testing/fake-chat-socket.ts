import { signal } from '@angular/core';
import type { ChatDoneEvent, ChatErrorCode, ChatStartRequest, ChatUsage } from '@byok/contracts';
import type { ChatSocket, ChatStreamEvent } from '@byok/web/data-access';
import { Observable, type Subscriber } from 'rxjs';

/** Stands in for ChatSocket: records what the page asks and lets a test play the server. */
export class FakeChatSocket implements Pick<ChatSocket, 'connected' | 'connect' | 'disconnect' | 'keysChanged' | 'stream' | 'cancel'> {
  readonly connected = signal(true).asReadonly();
  readonly started: ChatStartRequest[] = [];
  readonly cancelled: string[] = [];
  readonly calls: string[] = [];
  private readonly streams = new Map<string, Subscriber<ChatStreamEvent>>();

  connect(): void {
    this.calls.push('connect');
  }

  disconnect(): void {
    this.calls.push('disconnect');
  }

  keysChanged(): void {
    this.calls.push('keysChanged');
  }

  stream(request: ChatStartRequest): Observable<ChatStreamEvent> {
    return new Observable<ChatStreamEvent>((subscriber) => {
      this.started.push(request);
      this.streams.set(request.id, subscriber);
      return () => this.streams.delete(request.id);
    });
  }

  cancel(id: string): void {
    this.cancelled.push(id);
  }

  /** The id of the stream started last. */
  latestId(): string {
    const request = this.started.at(-1);
    if (!request) {
      throw new Error('no stream was started');
    }
    return request.id;
  }

  delta(text: string, id = this.latestId()): void {
    this.streams.get(id)?.next({ type: 'delta', text });
  }

  done(credentialSource: ChatDoneEvent['credentialSource'], id = this.latestId(), usage?: ChatUsage): void {
    this.finish(id, { type: 'done', done: { id, finishReason: 'stop', credentialSource, ...(usage ? { usage } : {}) } });
  }

  fail(code: ChatErrorCode, message: string, id = this.latestId()): void {
    this.finish(id, { type: 'error', error: { code, message } });
  }

  isOpen(id = this.latestId()): boolean {
    return this.streams.has(id);
  }

  private finish(id: string, event: ChatStreamEvent): void {
    const subscriber = this.streams.get(id);
    this.streams.delete(id);
    subscriber?.next(event);
    subscriber?.complete();
  }
}
