import { ChatCancelled, ChatFailure } from '../chat/chat-failure';
import { abortedByDrain, SERVER_DRAINING_MESSAGE } from './drain.service';

export { SERVER_DRAINING_MESSAGE };

export const serverDraining = (): ChatFailure => new ChatFailure('server_draining', SERVER_DRAINING_MESSAGE);

/**
 * What a transport owes its client for a stream that threw: the error itself, nothing for the
 * client's own cancel, and `server_draining` when the drain ended it, which must never reach the
 * client as a silent close.
 */
export function failureOwed(error: unknown, signal: AbortSignal): unknown {
  if (!(error instanceof ChatCancelled)) return error;
  return abortedByDrain(signal) ? serverDraining() : null;
}
