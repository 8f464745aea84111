import { LiveAnnouncer } from '@angular/cdk/a11y';
import { DOCUMENT } from '@angular/common';
import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import {
  CHAT_LIMITS,
  type ChatMessage,
  type ChatStartRequest,
  type ChatUsage,
  type KeySource,
  type ProviderId,
} from '@byok/contracts';
import { ChatSocket, Clock, newStreamId, type ChatStreamError, type ChatStreamEvent } from '@byok/web/data-access';
import type { Subscription } from 'rxjs';
import { ProviderKeysStore } from '../../core/provider-keys-store';
import { ConversationStorage } from './conversation-storage';

export interface UserTurn {
  readonly role: 'user';
  readonly id: string;
  readonly text: string;
}

export type AnswerStatus = 'streaming' | 'done' | 'stopped' | 'error';

export interface AssistantTurn {
  readonly role: 'assistant';
  /** The stream id, chosen here and named by every event of the stream. */
  readonly id: string;
  readonly provider: ProviderId;
  readonly providerName: string;
  readonly model: string;
  readonly text: string;
  readonly status: AnswerStatus;
  /** Which key served the answer; known once the stream is done. */
  readonly credentialSource: KeySource | null;
  readonly error: ChatStreamError | null;
  /** Tokens in and out, when the provider reported them. */
  readonly usage: ChatUsage | null;
  /** When the answer was asked for (epoch milliseconds), and how long it took once it ended. */
  readonly startedAt: number;
  readonly durationMs: number | null;
}

export type ChatTurn = UserTurn | AssistantTurn;

export interface ChatTarget {
  readonly provider: ProviderId;
  readonly providerName: string;
  readonly model: string;
}

/**
 * One conversation: its turns, and the stream of the answer being written, if any. It is kept in
 * the tab's storage whenever a turn begins or ends, and once more as the page goes away, so a
 * reload mid-answer keeps the text received so far.
 */
@Injectable()
export class ChatSession {
  private readonly socket = inject(ChatSocket);
  private readonly announcer = inject(LiveAnnouncer);
  private readonly keys = inject(ProviderKeysStore);
  private readonly clock = inject(Clock);
  private readonly storage = inject(ConversationStorage);
  private readonly turnsState = signal<readonly ChatTurn[]>(this.restore());
  private active: Subscription | null = null;

  readonly turns = this.turnsState.asReadonly();
  readonly streaming = computed(() =>
    this.turnsState().some((turn) => turn.role === 'assistant' && turn.status === 'streaming'),
  );

  constructor() {
    const keepOnLeave = (): void => this.persist();
    const window = inject(DOCUMENT).defaultView;
    window?.addEventListener('pagehide', keepOnLeave);
    inject(DestroyRef).onDestroy(() => {
      window?.removeEventListener('pagehide', keepOnLeave);
      this.active?.unsubscribe();
      // Leaving the chat page (not the tab) keeps the text of an answer cut off by it too.
      this.persist();
    });
  }

  send(text: string, target: ChatTarget): void {
    if (this.streaming()) {
      return;
    }
    const question: UserTurn = { role: 'user', id: newStreamId(), text };
    const turns = [...this.turnsState(), question];
    const answer = this.newAnswer(target);
    this.turnsState.set([...turns, answer]);
    this.start(answer, conversationUpTo(turns));
  }

  /** Stops the answer being written; the text so far stays, and it can be asked again. */
  stop(): void {
    const answer = this.turnsState().find(
      (turn): turn is AssistantTurn => turn.role === 'assistant' && turn.status === 'streaming',
    );
    if (!answer) {
      return;
    }
    this.socket.cancel(answer.id);
    this.active?.unsubscribe();
    this.active = null;
    this.update(answer.id, (turn) => ({ ...turn, status: 'stopped', durationMs: this.elapsed(turn) }));
    this.persist();
    void this.announcer.announce('Answer stopped.', 'polite');
  }

  /**
   * Asks an answer again, in its place, with the conversation up to its question; the turns after
   * it stay. Works for any answer that has ended, not only a failed one.
   */
  retry(answerId: string): void {
    const turns = this.turnsState();
    const index = turns.findIndex((turn) => turn.id === answerId);
    const previous = turns[index];
    if (previous?.role !== 'assistant' || previous.status === 'streaming' || this.streaming()) {
      return;
    }
    const messages = conversationUpTo(turns.slice(0, index));
    const again = this.newAnswer(previous);
    this.turnsState.set(turns.map((turn) => (turn.id === answerId ? again : turn)));
    this.start(again, messages);
  }

  /** Forgets the conversation, stopping any answer still being written. */
  newChat(): void {
    this.stop();
    this.turnsState.set([]);
    this.storage.clear();
    void this.announcer.announce('New chat started.', 'polite');
  }

  private start(answer: AssistantTurn, messages: ChatMessage[]): void {
    const request: ChatStartRequest = { id: answer.id, provider: answer.provider, model: answer.model, messages };
    this.persist();
    this.active = this.socket.stream(request).subscribe((event) => this.apply(answer.id, event));
  }

  private apply(id: string, event: ChatStreamEvent): void {
    switch (event.type) {
      case 'delta':
        this.update(id, (turn) => ({ ...turn, text: turn.text + event.text }));
        break;
      case 'retry':
        // The server restarted mid-answer and the same question goes to another one: the answer starts over.
        this.update(id, (turn) => ({ ...turn, text: '' }));
        void this.announcer.announce('The chat server is restarting; asking again.', 'polite');
        break;
      case 'done':
        this.update(id, (turn) => ({
          ...turn,
          status: 'done',
          credentialSource: event.done.credentialSource,
          usage: event.done.usage ?? null,
          durationMs: this.elapsed(turn),
        }));
        this.persist();
        // The message list reads the finished answer out; nothing is announced while it grows.
        this.keys.refresh();
        break;
      case 'error':
        this.update(id, (turn) => ({ ...turn, status: 'error', error: event.error, durationMs: this.elapsed(turn) }));
        this.persist();
        break;
    }
  }

  private persist(): void {
    this.storage.save(this.turnsState());
  }

  /**
   * The kept conversation. An answer that was still streaming when the page went away has lost
   * its stream with the page: it shows what had arrived, as interrupted, and can be asked again.
   */
  private restore(): readonly ChatTurn[] {
    return this.storage.load().map((turn) =>
      turn.role === 'assistant' && turn.status === 'streaming'
        ? { ...turn, status: 'error', error: { code: 'disconnected', message: INTERRUPTED_BY_RELOAD } }
        : turn,
    );
  }

  private newAnswer(target: ChatTarget): AssistantTurn {
    return {
      role: 'assistant',
      id: newStreamId(),
      provider: target.provider,
      providerName: target.providerName,
      model: target.model,
      text: '',
      status: 'streaming',
      credentialSource: null,
      error: null,
      usage: null,
      startedAt: this.clock.now().getTime(),
      durationMs: null,
    };
  }

  private elapsed(turn: AssistantTurn): number {
    return Math.max(0, this.clock.now().getTime() - turn.startedAt);
  }

  private update(id: string, change: (turn: AssistantTurn) => AssistantTurn): void {
    this.turnsState.update((turns) =>
      turns.map((turn) => (turn.role === 'assistant' && turn.id === id ? change(turn) : turn)),
    );
  }
}

const INTERRUPTED_BY_RELOAD = 'The page was reloaded while this answer was being written. Retry to ask again.';

/**
 * The conversation so far as the provider should see it: each question with the answer it got.
 * Questions whose answer failed are left out, since some providers reject two user messages in
 * a row.
 */
export function history(turns: readonly ChatTurn[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (let index = 1; index < turns.length; index++) {
    const question = turns[index - 1];
    const answer = turns[index];
    if (
      question?.role === 'user' &&
      answer?.role === 'assistant' &&
      answer.text !== '' &&
      (answer.status === 'done' || answer.status === 'stopped')
    ) {
      messages.push({ role: 'user', content: question.text }, { role: 'assistant', content: answer.text });
    }
  }
  return messages;
}

/**
 * What the provider is sent for the question that ends `turns`: the conversation before it, within
 * the server's limits. Recomputed on each ask rather than kept with the answer, so the tab's
 * storage grows with the conversation, not with its square.
 */
function conversationUpTo(turns: readonly ChatTurn[]): ChatMessage[] {
  const question = turns.at(-1);
  if (question?.role !== 'user') {
    throw new Error('an answer follows its question');
  }
  return withinLimits([...history(turns.slice(0, -1)), { role: 'user', content: question.text }]);
}

/** Drops the oldest question and answer pairs until the request fits the server's limits. */
export function withinLimits(messages: readonly ChatMessage[]): ChatMessage[] {
  let kept = [...messages];
  const total = (list: readonly ChatMessage[]): number =>
    list.reduce((sum, message) => sum + message.content.length, 0);
  while (kept.length > 1 && (kept.length > CHAT_LIMITS.maxMessages || total(kept) > CHAT_LIMITS.maxTotalChars)) {
    kept = kept.slice(2);
  }
  return kept;
}
