import { Injectable, InjectionToken, inject } from '@angular/core';
import { KEY_SOURCES } from '@byok/contracts';
import { CHAT_STREAM_ERROR_CODES } from '@byok/web/data-access';
import * as z from 'zod/mini';
import type { ChatTurn } from './chat-session';

/** The tab's own storage: a reload keeps what it holds, closing the tab forgets it. */
export const TAB_STORAGE = new InjectionToken<Storage>('TAB_STORAGE', {
  providedIn: 'root',
  factory: () => sessionStorage,
});

const STORAGE_KEY = 'byok.chat.conversation';

const userTurn = z.object({ role: z.literal('user'), id: z.string(), text: z.string() });

const assistantTurn = z.object({
  role: z.literal('assistant'),
  id: z.string(),
  provider: z.string(),
  providerName: z.string(),
  model: z.string(),
  text: z.string(),
  status: z.enum(['streaming', 'done', 'stopped', 'error']),
  credentialSource: z.nullable(z.enum(KEY_SOURCES)),
  error: z.nullable(
    z.object({
      code: z.enum(CHAT_STREAM_ERROR_CODES),
      message: z.string(),
      retryAfter: z.optional(z.number()),
    }),
  ),
  usage: z.nullable(z.object({ inputTokens: z.optional(z.number()), outputTokens: z.optional(z.number()) })),
  startedAt: z.number(),
  durationMs: z.nullable(z.number()),
});

const storedConversation = z.object({
  version: z.literal(1),
  turns: z.array(z.discriminatedUnion('role', [userTurn, assistantTurn])),
});

/**
 * Keeps the conversation in the tab's sessionStorage, never localStorage: it holds what was asked
 * and answered, and nothing of the keys (turns carry no key; the server holds those).
 */
@Injectable({ providedIn: 'root' })
export class ConversationStorage {
  private readonly storage = inject(TAB_STORAGE);

  /** The conversation this tab had, or none when nothing (or something unreadable) was kept. */
  load(): ChatTurn[] {
    const raw = this.storage.getItem(STORAGE_KEY);
    if (raw === null) {
      return [];
    }
    const stored = storedConversation.safeParse(parseJson(raw));
    if (!stored.success || !isConversation(stored.data.turns)) {
      // Written by another version of the app, or edited by hand: start afresh rather than guess.
      this.clear();
      return [];
    }
    return stored.data.turns;
  }

  save(turns: readonly ChatTurn[]): void {
    if (turns.length === 0) {
      this.clear();
      return;
    }
    try {
      this.storage.setItem(STORAGE_KEY, JSON.stringify({ version: 1, turns }));
    } catch (error: unknown) {
      if (!(error instanceof DOMException && error.name === 'QuotaExceededError')) {
        throw error;
      }
      // A full quota must not break the chat: the conversation is not kept for a reload, and an
      // older copy must not come back in its place.
      this.clear();
    }
  }

  clear(): void {
    this.storage.removeItem(STORAGE_KEY);
  }
}

/** Every answer follows its question, and no two turns share an id. */
function isConversation(turns: readonly ChatTurn[]): boolean {
  const ids = new Set(turns.map((turn) => turn.id));
  return ids.size === turns.length && turns.every((turn, index) => turn.role === 'user' || turns[index - 1]?.role === 'user');
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
