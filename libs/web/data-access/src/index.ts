export { API_BASE_URL, apiUrl } from './lib/api-base-url';
export { apiErrorCode, apiErrorMessage } from './lib/api-error-message';
export { AuthClient } from './lib/auth-client';
export { AuthRedirect } from './lib/auth-redirect';
export { BrowserLocation } from './lib/browser-location';
export { Clock } from './lib/clock';
export { unauthenticatedInterceptor } from './lib/unauthenticated-interceptor';
export { ProviderKeysClient } from './lib/provider-keys-client';
export { ProviderModelsClient } from './lib/provider-models-client';
export {
  CHAT_SOCKET_FACTORY,
  CHAT_STREAM_ERROR_CODES,
  ChatSocket,
  chatSocketTarget,
  newStreamId,
  type ChatClientSocket,
  type ChatSocketFactory,
  type ChatSocketOptions,
  type ChatStreamError,
  type ChatStreamErrorCode,
  type ChatStreamEvent,
} from './lib/chat-socket';
