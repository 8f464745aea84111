/**
 * The series the API exports, beside prom-client's process defaults (`process_*`, `nodejs_*`).
 * The Grafana dashboard's queries are checked against this list (tools/deploy-checks). No label
 * ever holds a key, a fingerprint, a session id, a person or an address.
 */
export const METRIC_NAMES = {
  /** Counter {provider, transport}: streams admitted past validation. */
  streamsStarted: 'byok_chat_streams_started_total',
  /** Counter {provider, transport, source, outcome}: streams ended; outcome `done`, `cancelled` or the error code. */
  streamsEnded: 'byok_chat_streams_ended_total',
  /** Gauge {transport}: streams running now on this instance. */
  streamsActive: 'byok_chat_streams_active',
  /**
   * Histogram {provider, transport}: seconds from the stream's start to its first text, measured in the API.
   * Exported as `_bucket` (with `le`), `_sum` and `_count`.
   */
  timeToFirstToken: 'byok_chat_time_to_first_token_seconds',
  /** Counter {event}: key events (set, replaced, cleared, validated, validation_failed, refused_by_policy). */
  keyEvents: 'byok_key_events_total',
  /** Counter: Redis connection errors reported by the client. */
  redisErrors: 'byok_redis_errors_total',
  /** Counter: Redis reconnect attempts. */
  redisReconnects: 'byok_redis_reconnects_total',
  /** Gauge: 1 while the instance drains after SIGTERM. */
  draining: 'byok_draining',
} as const;

/** prom-client's default series the dashboard uses: the event loop's lag. */
export const EVENT_LOOP_LAG_METRIC = 'nodejs_eventloop_lag_p99_seconds';
