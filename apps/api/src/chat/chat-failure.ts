import type { Logger } from '@nestjs/common';
import type { ChatErrorCode, ChatErrorEvent } from '@byok/contracts';
import { describeUpstreamFailure, type UpstreamFailure } from '../providers/upstream-failure';

/** A stream that ended in an error the user should see; `message` never quotes a key. */
export class ChatFailure extends Error {
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ChatFailure';
  }
}

/** The caller cancelled (chat:cancel, disconnect, closed HTTP response): no event is owed. */
export class ChatCancelled extends Error {
  constructor() {
    super('chat stream cancelled by the client');
    this.name = 'ChatCancelled';
  }
}

export function chatFailureFromUpstream(failure: UpstreamFailure, providerName: string): ChatFailure {
  const { code, message, retryAfter } = describeUpstreamFailure(failure, providerName);
  return new ChatFailure(code, message, retryAfter);
}

/** The event a transport sends for a failed stream; unexpected errors are logged by name only. */
export function chatErrorEventOf(id: string, error: unknown, logger: Logger): ChatErrorEvent {
  if (error instanceof ChatFailure) {
    return { id, code: error.code, message: error.message, retryAfter: error.retryAfter };
  }
  logger.error(`Chat stream failed unexpectedly: ${error instanceof Error ? error.name : typeof error}`);
  return { id, code: 'upstream_error', message: 'The chat stream failed unexpectedly; try again.' };
}
