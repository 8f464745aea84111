/** Stable machine codes of HTTP API errors; the `message` beside them is for people. */
export const API_ERROR_CODES = [
  'bad_request',
  'unauthenticated',
  'forbidden',
  'idp_unavailable',
  'malformed_json',
  'validation_failed',
  'malformed_key',
  'unknown_provider',
  'policy_forbids_user_key',
  'csrf_invalid',
  'origin_forbidden',
  'host_not_allowed',
  'payload_too_large',
  'rate_limited',
  'not_found',
  'store_unavailable',
  'server_draining',
  'no_key',
  'key_rejected',
  'upstream_unreachable',
  'upstream_error',
  'timeout',
  'internal_error',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** Body of every HTTP error response. */
export interface ApiErrorBody {
  statusCode: number;
  code: ApiErrorCode;
  message: string;
}

/** Stable codes of chat stream errors (socket `chat:error` and SSE `error`). */
export const CHAT_ERROR_CODES = [
  'unauthenticated',
  'no_key',
  'unknown_provider',
  'key_rejected',
  'rate_limited',
  'upstream_unreachable',
  'upstream_error',
  'bad_request',
  'timeout',
  'session_expired',
  'store_unavailable',
  'too_many_streams',
  'too_many_sockets',
  /** The instance is shutting down (a rolling restart): retry, and another instance answers. */
  'server_draining',
] as const;

/** Stream errors a client may retry at once, on its own: nothing about the request was wrong. */
export const RETRYABLE_CHAT_ERROR_CODES: readonly ChatErrorCode[] = ['server_draining'];
export type ChatErrorCode = (typeof CHAT_ERROR_CODES)[number];
