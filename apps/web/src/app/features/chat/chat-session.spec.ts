import { LiveAnnouncer } from '@angular/cdk/a11y';
import { TestBed } from '@angular/core/testing';
import type { ChatStartRequest } from '@byok/contracts';
import { ChatSocket, type ChatStreamEvent } from '@byok/web/data-access';
import { Observable, type Subscriber } from 'rxjs';
import { ProviderKeysStore } from '../../core/provider-keys-store';
import { type AssistantTurn, ChatSession } from './chat-session';

const target = { provider: 'openai', providerName: 'OpenAI', model: 'gpt-4o' } as const;

describe('ChatSession', () => {
  let session: ChatSession;
  let started: ChatStartRequest[];
  let server: Subscriber<ChatStreamEvent> | null;
  let announce: ReturnType<typeof vi.fn>;

  const answer = (): AssistantTurn | undefined =>
    session.turns().find((turn): turn is AssistantTurn => turn.role === 'assistant');

  beforeEach(() => {
    started = [];
    server = null;
    announce = vi.fn().mockResolvedValue(undefined);
    TestBed.configureTestingModule({
      providers: [
        ChatSession,
        {
          provide: ChatSocket,
          useValue: {
            stream: (request: ChatStartRequest) =>
              new Observable<ChatStreamEvent>((subscriber) => {
                started.push(request);
                server = subscriber;
              }),
          },
        },
        { provide: ProviderKeysStore, useValue: { refresh: vi.fn() } },
        { provide: LiveAnnouncer, useValue: { announce } },
      ],
    });
    session = TestBed.inject(ChatSession);
  });

  it('starts the answer over, still streaming, when the socket asks the stream again after a server restart', () => {
    session.send('Hello', target);
    server?.next({ type: 'delta', text: 'Half an ans' });
    server?.next({ type: 'retry', error: { code: 'server_draining', message: 'The chat server is restarting.' } });

    expect(answer()).toMatchObject({ text: '', status: 'streaming', error: null });
    expect(session.streaming()).toBe(true);
    expect(announce).toHaveBeenCalledWith('The chat server is restarting; asking again.', 'polite');

    server?.next({ type: 'delta', text: 'A whole answer' });
    server?.next({ type: 'done', done: { id: started[0]?.id ?? '', finishReason: 'stop', credentialSource: 'session' } });

    expect(answer()).toMatchObject({ text: 'A whole answer', status: 'done', credentialSource: 'session' });
    // The socket retried by itself; the page asked once.
    expect(started).toHaveLength(1);
  });

  it('shows the error when the retried stream fails again', () => {
    session.send('Hello', target);
    server?.next({ type: 'retry', error: { code: 'server_draining', message: 'The chat server is restarting.' } });
    server?.next({ type: 'error', error: { code: 'server_draining', message: 'The chat server is restarting.' } });

    expect(answer()).toMatchObject({ status: 'error', error: { code: 'server_draining' } });
    expect(session.streaming()).toBe(false);
  });
});
