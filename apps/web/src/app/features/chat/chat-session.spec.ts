import { LiveAnnouncer } from '@angular/cdk/a11y';
import { TestBed } from '@angular/core/testing';
import type { ChatStartRequest } from '@byok/contracts';
import { ChatSocket, Clock, type ChatStreamEvent } from '@byok/web/data-access';
import { Observable, type Subscriber } from 'rxjs';
import { ProviderKeysStore } from '../../core/provider-keys-store';
import { type AssistantTurn, ChatSession } from './chat-session';
import { ConversationStorage } from './conversation-storage';

const target = { provider: 'openai', providerName: 'OpenAI', model: 'gpt-4o' } as const;

describe('ChatSession', () => {
  let session: ChatSession;
  let started: ChatStartRequest[];
  let server: Subscriber<ChatStreamEvent> | null;
  let announce: ReturnType<typeof vi.fn>;
  let cancelled: string[];
  let now: number;

  const answer = (): AssistantTurn | undefined =>
    session.turns().find((turn): turn is AssistantTurn => turn.role === 'assistant');
  const answers = (): AssistantTurn[] =>
    session.turns().filter((turn): turn is AssistantTurn => turn.role === 'assistant');
  const done = (usage?: { inputTokens?: number; outputTokens?: number }): void =>
    server?.next({
      type: 'done',
      done: { id: started.at(-1)?.id ?? '', finishReason: 'stop', credentialSource: 'session', ...(usage ? { usage } : {}) },
    });

  /** A new ChatSession in a new injector over the same tab storage, as after a reload. */
  function reload(): ChatSession {
    TestBed.resetTestingModule();
    configure();
    return TestBed.inject(ChatSession);
  }

  function configure(): void {
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
            cancel: (id: string) => cancelled.push(id),
          },
        },
        { provide: ProviderKeysStore, useValue: { refresh: vi.fn() } },
        { provide: LiveAnnouncer, useValue: { announce } },
        { provide: Clock, useValue: { now: () => new Date(now) } satisfies Clock },
      ],
    });
  }

  beforeEach(() => {
    sessionStorage.clear();
    localStorage.clear();
    started = [];
    cancelled = [];
    server = null;
    now = Date.UTC(2026, 11, 1, 12);
    announce = vi.fn().mockResolvedValue(undefined);
    configure();
    session = TestBed.inject(ChatSession);
  });

  afterEach(() => sessionStorage.clear());

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

  it('keeps the usage the provider reported and how long the answer took', () => {
    session.send('Hello', target);
    now += 2_345;
    server?.next({ type: 'delta', text: 'Hi' });
    done({ inputTokens: 12, outputTokens: 3 });

    expect(answer()).toMatchObject({ status: 'done', usage: { inputTokens: 12, outputTokens: 3 }, durationMs: 2_345 });
  });

  it('keeps no usage when the provider reported none, and times a failed answer too', () => {
    session.send('Hello', target);
    done();
    expect(answer()).toMatchObject({ usage: null });

    session.send('Again', target);
    now += 500;
    server?.next({ type: 'error', error: { code: 'key_rejected', message: 'The key was rejected.' } });
    expect(answers()[1]).toMatchObject({ status: 'error', durationMs: 500 });
  });

  it('stops the answer being written: cancels the stream, keeps its text, and can ask it again', () => {
    session.send('Tell me a story', target);
    server?.next({ type: 'delta', text: 'Once upon' });
    now += 800;
    session.stop();

    expect(cancelled).toEqual([started[0]?.id]);
    expect(answer()).toMatchObject({ status: 'stopped', text: 'Once upon', durationMs: 800 });
    expect(session.streaming()).toBe(false);

    session.retry(answer()?.id ?? '');
    expect(started).toHaveLength(2);
    expect(started[1]?.messages).toEqual(started[0]?.messages);
    expect(answer()).toMatchObject({ status: 'streaming', text: '' });
  });

  it('asks a finished answer again in its place with the conversation up to it, keeping the turns after it', () => {
    session.send('One?', target);
    server?.next({ type: 'delta', text: '1' });
    done();
    session.send('Two?', target);
    server?.next({ type: 'delta', text: '2' });
    done();
    const first = answers()[0];

    session.retry(first?.id ?? '');

    expect(started[2]?.messages).toEqual([{ role: 'user', content: 'One?' }]);
    expect(session.turns().map((turn) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(answers().map((turn) => turn.status)).toEqual(['streaming', 'done']);
    expect(answers()[0]?.id).not.toBe(first?.id);
  });

  it('does not ask again while another answer is being written', () => {
    session.send('One?', target);
    done();
    session.send('Two?', target);
    session.retry(answers()[0]?.id ?? '');

    expect(started).toHaveLength(2);
  });

  it('keeps the conversation in sessionStorage, never localStorage, and a reload brings it back', () => {
    session.send('Hello', target);
    server?.next({ type: 'delta', text: 'Hi there' });
    done({ outputTokens: 2 });

    expect(localStorage.length).toBe(0);
    const restored = reload();

    expect(restored.turns()).toEqual(session.turns());
    expect(restored.streaming()).toBe(false);
  });

  it('keeps each question and answer once, so the kept conversation grows with its length, not its square', () => {
    for (const question of ['First question?', 'Second question?', 'Third question?']) {
      session.send(question, target);
      server?.next({ type: 'delta', text: `An answer to ${question}` });
      done();
    }
    const kept = sessionStorage.getItem('byok.chat.conversation') ?? '';

    expect(started[2]?.messages).toHaveLength(5);
    expect(kept.split('First question?').length - 1).toBe(2);
    expect(kept.split('An answer to First question?').length - 1).toBe(1);
  });

  it('shows an answer that was streaming when the page went away as interrupted, with its text, to be asked again', () => {
    session.send('Hello', target);
    server?.next({ type: 'delta', text: 'Half an' });
    // The page goes away mid-answer: the latest text is kept as it leaves.
    window.dispatchEvent(new Event('pagehide'));

    const restored = reload();
    const interrupted = restored.turns().find((turn): turn is AssistantTurn => turn.role === 'assistant');

    expect(interrupted).toMatchObject({ status: 'error', text: 'Half an', error: { code: 'disconnected' } });
    expect(restored.streaming()).toBe(false);
  });

  it('starts afresh when the kept conversation is unreadable', () => {
    sessionStorage.setItem('byok.chat.conversation', '{"version":1,"turns":[{"role":"assistant"}]}');

    expect(reload().turns()).toEqual([]);
    expect(TestBed.inject(ConversationStorage).load()).toEqual([]);
  });

  it('New chat stops the answer being written and forgets the conversation, also for a reload', () => {
    session.send('Hello', target);
    server?.next({ type: 'delta', text: 'Hi' });

    session.newChat();

    expect(cancelled).toHaveLength(1);
    expect(session.turns()).toEqual([]);
    expect(reload().turns()).toEqual([]);
  });
});
