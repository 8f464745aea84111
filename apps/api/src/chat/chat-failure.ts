import type { Logger } from '@nestjs/common';
import type { ChatErrorCode, ChatErrorEvent } from '@byok/contracts';
import type { UpstreamFailure } from '../providers/clients/provider-client';

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
  switch (failure.kind) {
    case 'auth':
      return new ChatFailure(
        'key_rejected',
        `${providerName} rejected the API key (HTTP ${failure.status}); check or replace it in Settings → API keys.`,
      );
    case 'rate_limited':
      return new ChatFailure(
        'rate_limited',
        `${providerName} is rate-limiting this key${failure.retryAfterSeconds !== undefined ? `; retry in ${failure.retryAfterSeconds} s` : '; retry shortly'}.`,
        failure.retryAfterSeconds,
      );
    case 'unreachable':
      return new ChatFailure('upstream_unreachable', `${providerName} could not be reached; try again later.`);
    case 'timeout':
    case 'aborted':
      return new ChatFailure('timeout', `${providerName} did not answer in time.`);
    case 'bad_request':
      return new ChatFailure(
        'bad_request',
        `${providerName} refused the request (HTTP ${failure.status}); check the model name and the messages.`,
      );
    case 'upstream':
      return new ChatFailure(
        'upstream_error',
        `${providerName} failed while answering${failure.status ? ` (HTTP ${failure.status})` : ''}; try again.`,
      );
  }
}

/** The event a transport sends for a failed stream; unexpected errors are logged by name only. */
export function chatErrorEventOf(id: string, error: unknown, logger: Logger): ChatErrorEvent {
  if (error instanceof ChatFailure) {
    return { id, code: error.code, message: error.message, retryAfter: error.retryAfter };
  }
  logger.error(`Chat stream failed unexpectedly: ${error instanceof Error ? error.name : typeof error}`);
  return { id, code: 'upstream_error', message: 'The chat stream failed unexpectedly; try again.' };
}
