import { Inject, Injectable } from '@nestjs/common';
import { CHAT_ERROR_CODES, CHAT_TRANSPORTS, type ChatTransport, KEY_SOURCES } from '@byok/contracts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KeyAuditEvent, StreamAuditEntry } from '../audit/audit-log';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { METRIC_NAMES } from './metric-names';

/** Every key event the audit log knows; the `satisfies` and the check below keep it equal to the union. */
const KEY_EVENTS = ['set', 'replaced', 'cleared', 'validated', 'validation_failed', 'refused_by_policy'] as const satisfies readonly KeyAuditEvent[];
const KEY_EVENTS_COVER_THE_UNION: [Exclude<KeyAuditEvent, (typeof KEY_EVENTS)[number]>] extends [never] ? true : never = true;
void KEY_EVENTS_COVER_THE_UNION;

/** How a stream can end, as the audit log words it. */
export const STREAM_OUTCOMES: readonly string[] = ['done', 'cancelled', ...CHAT_ERROR_CODES, 'internal_error'];

/** The label value for a provider id this deployment does not offer (never the id as sent: it may be a pasted key). */
export const UNKNOWN_PROVIDER_LABEL = 'unknown';

/**
 * Chosen for a model's first token: a local model answers in tens of milliseconds, a large
 * reasoning model may think for tens of seconds, and the first-token timeout ends the rest.
 */
const TTFT_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60];

/**
 * The API's Prometheus series, in a registry of this app instance's own (tests run several
 * instances in one process; prom-client's global registry would mix them). Every label value comes
 * from a closed set: the provider ids this deployment configured (any other id is `unknown`), the
 * transports (typed), and the key sources, outcome codes and key events (checked here, whatever
 * the caller passes). So no label can ever
 * carry a key, a fingerprint, a session id, a person or an address, and the series count stays bounded.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly providers: ReadonlySet<string>;
  private readonly streamsStarted: Counter<'provider' | 'transport'>;
  private readonly streamsEnded: Counter<'provider' | 'transport' | 'source' | 'outcome'>;
  private readonly streamsActive: Gauge<'transport'>;
  private readonly timeToFirstToken: Histogram<'provider' | 'transport'>;
  private readonly keyEvents: Counter<'event'>;
  private readonly redisErrors: Counter;
  private readonly redisReconnects: Counter;
  private readonly draining: Gauge;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.providers = new Set(config.providers.map((provider) => provider.id));
    const registers = [this.registry];
    this.streamsStarted = new Counter({
      name: METRIC_NAMES.streamsStarted,
      help: 'Chat streams admitted (limits passed, key looked up), by provider and transport.',
      labelNames: ['provider', 'transport'],
      registers,
    });
    this.streamsEnded = new Counter({
      name: METRIC_NAMES.streamsEnded,
      help: 'Chat streams ended, by provider, transport, key source and outcome (done, cancelled or the error code).',
      labelNames: ['provider', 'transport', 'source', 'outcome'],
      registers,
    });
    this.streamsActive = new Gauge({
      name: METRIC_NAMES.streamsActive,
      help: 'Chat streams running now on this instance, by transport.',
      labelNames: ['transport'],
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: METRIC_NAMES.timeToFirstToken,
      help: "Seconds from a chat stream's request reaching the API to its first text, by provider and transport.",
      labelNames: ['provider', 'transport'],
      buckets: TTFT_BUCKETS_SECONDS,
      registers,
    });
    this.keyEvents = new Counter({
      name: METRIC_NAMES.keyEvents,
      help: 'Provider key events (set, replaced, cleared, validated, validation_failed, refused_by_policy).',
      labelNames: ['event'],
      registers,
    });
    this.redisErrors = new Counter({ name: METRIC_NAMES.redisErrors, help: 'Errors the Redis client reported (connection and node errors).', registers });
    this.redisReconnects = new Counter({ name: METRIC_NAMES.redisReconnects, help: 'Redis reconnect attempts.', registers });
    this.draining = new Gauge({ name: METRIC_NAMES.draining, help: '1 while this instance drains after SIGTERM, else 0.', registers });

    // Zeros from the start, so rate() and absent-series alerts work before the first event.
    for (const transport of CHAT_TRANSPORTS) {
      this.streamsActive.set({ transport }, 0);
      for (const provider of this.providers) this.streamsStarted.inc({ provider, transport }, 0);
    }
    for (const event of KEY_EVENTS) this.keyEvents.inc({ event }, 0);
    this.draining.set(0);
    // The defaults sample the event loop every 10 ms; not worth it when nobody can scrape them.
    if (config.metricsPort !== null || config.metricsToken !== null) collectDefaultMetrics({ register: this.registry });
  }

  /** After admission: counts the stream and holds it in the active gauge until `streamStopped`. */
  streamStarted(provider: string, transport: ChatTransport): void {
    this.streamsStarted.inc({ provider: this.provider(provider), transport });
    this.streamsActive.inc({ transport });
  }

  streamStopped(transport: ChatTransport): void {
    this.streamsActive.dec({ transport });
  }

  firstToken(provider: string, transport: ChatTransport, elapsedMs: number): void {
    this.timeToFirstToken.observe({ provider: this.provider(provider), transport }, Math.max(0, elapsedMs) / 1000);
  }

  /** Every stream that reached the chat service, admitted or refused, once. */
  streamEnded(entry: StreamAuditEntry): void {
    this.streamsEnded.inc({
      provider: this.provider(entry.provider),
      transport: entry.transport,
      source: closed(entry.source, KEY_SOURCES, 'none'),
      outcome: closed(entry.outcome, STREAM_OUTCOMES, 'internal_error'),
    });
  }

  keyEvent(event: KeyAuditEvent): void {
    // An event outside the list would be a bug; it is not worth a label value of its own.
    if ((KEY_EVENTS as readonly string[]).includes(event)) this.keyEvents.inc({ event });
  }

  redisError(): void {
    this.redisErrors.inc();
  }

  redisReconnect(): void {
    this.redisReconnects.inc();
  }

  setDraining(draining: boolean): void {
    this.draining.set(draining ? 1 : 0);
  }

  /** The exposition text for one scrape, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private provider(id: string): string {
    return this.providers.has(id) ? id : UNKNOWN_PROVIDER_LABEL;
  }
}

function closed<T extends string>(value: string, allowed: readonly T[], fallback: T): T {
  return (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}
