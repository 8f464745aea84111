import { TestBed } from '@angular/core/testing';
import type { AssistantTurn, ChatTurn, UserTurn } from './chat-session';
import { ConversationStorage, TAB_STORAGE } from './conversation-storage';

const question: UserTurn = { role: 'user', id: 'q1', text: 'Hello?' };
const answer: AssistantTurn = {
  role: 'assistant',
  id: 'a1',
  provider: 'openai',
  providerName: 'OpenAI',
  model: 'gpt-4o',
  text: 'Hi!',
  status: 'done',
  credentialSource: 'session',
  error: null,
  usage: { inputTokens: 3, outputTokens: 2 },
  startedAt: 1_000,
  durationMs: 250,
};
const KEY = 'byok.chat.conversation';

/** A tab's storage whose quota can run out. */
class TabStorage implements Storage {
  private readonly items = new Map<string, string>();
  full = false;

  get length(): number {
    return this.items.size;
  }

  clear(): void {
    this.items.clear();
  }

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }

  setItem(key: string, value: string): void {
    if (this.full) {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    this.items.set(key, value);
  }
}

describe('ConversationStorage', () => {
  let tab: TabStorage;
  let storage: ConversationStorage;

  beforeEach(() => {
    tab = new TabStorage();
    TestBed.configureTestingModule({ providers: [{ provide: TAB_STORAGE, useValue: tab }] });
    storage = TestBed.inject(ConversationStorage);
  });

  it('gives back what it kept', () => {
    storage.save([question, answer]);

    expect(storage.load()).toEqual([question, answer]);
  });

  it('forgets the older copy when the quota runs out, so a reload cannot bring back a stale conversation', () => {
    storage.save([question, answer]);
    tab.full = true;

    expect(() => storage.save([question, { ...answer, text: 'A longer answer' }])).not.toThrow();
    expect(tab.getItem(KEY)).toBeNull();
    expect(storage.load()).toEqual([]);
  });

  it('lets any other storage failure through', () => {
    tab.setItem = () => {
      throw new DOMException('The operation is insecure.', 'SecurityError');
    };

    expect(() => storage.save([question])).toThrow('insecure');
  });

  it.each<[string, ChatTurn[]]>([
    ['an answer without its question', [answer]],
    ['two answers in a row', [question, answer, { ...answer, id: 'a2' }]],
    ['two turns with one id', [question, { ...answer, id: 'q1' }]],
  ])('starts afresh from a kept conversation with %s', (_case, turns) => {
    tab.setItem(KEY, JSON.stringify({ version: 1, turns }));

    expect(storage.load()).toEqual([]);
    expect(tab.getItem(KEY)).toBeNull();
  });

  it('starts afresh from text that is not JSON, or a version it does not know', () => {
    tab.setItem(KEY, '{not json');
    expect(storage.load()).toEqual([]);
    tab.setItem(KEY, JSON.stringify({ version: 2, turns: [question, answer] }));
    expect(storage.load()).toEqual([]);
  });
});
