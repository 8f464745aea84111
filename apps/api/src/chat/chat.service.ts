import { Inject, Injectable } from '@nestjs/common';
import { ACCEPTS_TEMPERATURE, CHAT_LIMITS, type ChatDoneEvent, type ChatTransport, type KeySource, MODEL_ID_RULES } from '@byok/contracts';
import { AuditLog } from '../audit/audit-log';
import type { Caller } from '../auth/caller';
import type { AppConfig, ProviderConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Clock } from '../common/clock';
import { ApiException, UNKNOWN_PROVIDER_MESSAGE } from '../common/errors/api-exception';
import { noKeyMessage } from '../keys/key-policy';
import { KeyResolver, type ResolvedKey } from '../keys/key-resolver';
import { ConcurrencyLimiter, type Lease } from '../limits/concurrency-limiter';
import { RateLimits } from '../limits/rate-limits';
import { Metrics } from '../metrics/metrics';
import { ProviderFactory } from '../providers/provider-factory';
import type { TextSink } from '../providers/provider-adapter';
import { ProviderRegistry } from '../providers/provider-registry';
import { ChatCancelled, ChatFailure, chatFailureFromUpstream } from './chat-failure';
import type { ChatStartDto } from './dto/chat-requests.dto';
import { StreamWatchdog } from './stream-watchdog';

export type ChatOutcome = Omit<ChatDoneEvent, 'id'>;

/**
 * Runs one chat stream for either transport: admits it under the caller's limits, picks the key
 * (from the caller's keyring or the environment, by policy), streams through the provider's SDK,
 * and turns every way a stream can end into an outcome, a ChatFailure or ChatCancelled. Each
 * stream is audited once, however it ends: who, which provider, whose key, and the outcome.
 */
@Injectable()
export class ChatService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly resolver: KeyResolver,
    private readonly factory: ProviderFactory,
    private readonly rateLimits: RateLimits,
    private readonly concurrency: ConcurrencyLimiter,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  async stream(
    caller: Caller,
    transport: ChatTransport,
    request: ChatStartDto,
    signal: AbortSignal,
    onDelta: (text: string) => void,
  ): Promise<ChatOutcome> {
    const startedAt = this.clock.now();
    let source: KeySource = 'none';
    const audit = (outcome: string): void =>
      // The id as sent is not logged unless it names a provider: it may be anything, a pasted key included.
      this.audit.stream(caller, { provider: this.registry.find(request.provider)?.id ?? 'unknown', transport, source, outcome });
    try {
      const provider = this.admissible(request);
      // Sent together, so the limits and the key cost one Redis round trip before the upstream call.
      const [lease, resolved] = await this.admitWithKey(caller, provider);
      source = resolved.source;
      this.metrics.streamStarted(provider.id, transport);
      const firstText = (): void => this.metrics.firstToken(provider.id, transport, this.clock.now() - startedAt);
      try {
        const outcome = await this.run(provider, resolved, request, signal, onDelta, firstText);
        audit('done');
        return outcome;
      } finally {
        lease.release();
        this.metrics.streamStopped(transport);
      }
    } catch (error) {
      audit(error instanceof ChatCancelled ? 'cancelled' : error instanceof ChatFailure ? error.code : 'internal_error');
      throw error;
    }
  }

  /** The checks that need no store and no upstream: provider, model id, options, length. */
  private admissible(request: ChatStartDto): ProviderConfig {
    const provider = this.registry.find(request.provider);
    if (!provider) {
      throw new ChatFailure('unknown_provider', UNKNOWN_PROVIDER_MESSAGE);
    }
    // Checked per family before any upstream call: a Gemini id becomes part of the request path.
    const modelRule = MODEL_ID_RULES[provider.family];
    if (!modelRule.pattern.test(request.model)) {
      throw new ChatFailure('bad_request', `model: ${modelRule.rule} for ${provider.name}.`);
    }
    if (request.options?.temperature !== undefined && !ACCEPTS_TEMPERATURE[provider.family]) {
      throw new ChatFailure('bad_request', `options.temperature: ${provider.name}'s API no longer accepts a sampling temperature; leave it out.`);
    }
    const totalChars = request.messages.reduce((sum, message) => sum + message.content.length, 0);
    if (totalChars > CHAT_LIMITS.maxTotalChars) {
      throw new ChatFailure('bad_request', `The conversation is too long (at most ${CHAT_LIMITS.maxTotalChars} characters).`);
    }
    return provider;
  }

  private async admitWithKey(
    caller: Caller,
    provider: ProviderConfig,
  ): Promise<[Lease, ResolvedKey]> {
    const [retryAfter, lease, resolved] = await Promise.allSettled([
      this.rateLimits.consume('chat', caller.limitIdentity),
      this.concurrency.acquire('streams', caller.limitIdentity, this.config.chatMaxStreams),
      this.resolver.resolve(provider, caller),
    ]);
    const held = lease.status === 'fulfilled' ? lease.value : null;
    try {
      if (retryAfter.status === 'rejected') throw retryAfter.reason;
      if (lease.status === 'rejected') throw lease.reason;
      if (resolved.status === 'rejected') throw resolved.reason;
      if (retryAfter.value !== null) {
        throw new ChatFailure('rate_limited', `Too many chats started; retry in ${retryAfter.value} s.`, retryAfter.value);
      }
      if (!held) {
        throw new ChatFailure(
          'too_many_streams',
          `At most ${this.config.chatMaxStreams} answers may stream at once ${caller.person ? 'for one person' : 'in one session'}; wait for one to finish.`,
        );
      }
      return [held, resolved.value];
    } catch (error) {
      held?.release();
      throw storeFailureAsChat(error);
    }
  }

  private async run(
    provider: ProviderConfig,
    { key, source }: ResolvedKey,
    request: ChatStartDto,
    signal: AbortSignal,
    onDelta: (text: string) => void,
    onFirstText: () => void,
  ): Promise<ChatOutcome> {
    if (!key && provider.keyRequired) {
      throw new ChatFailure('no_key', noKeyMessage(provider));
    }
    const model = this.factory.chatModelWithApiKey(provider, request.model, key);
    const watchdog = new StreamWatchdog(this.clock, signal, this.config.chatFirstTokenTimeoutMs, this.config.chatIdleTimeoutMs);
    const onText: TextSink = (text) => {
      if (watchdog.progress()) onFirstText();
      onDelta(text);
    };
    try {
      const { finishReason, usage } = await model.stream(
        { messages: request.messages, maxTokens: request.options?.maxTokens, temperature: request.options?.temperature },
        watchdog.signal,
        onText,
      );
      if (signal.aborted) throw cancellationOf(signal);
      return { finishReason, usage, credentialSource: source };
    } catch (error) {
      if (signal.aborted) throw cancellationOf(signal);
      if (watchdog.fired) {
        throw new ChatFailure('timeout', `${provider.name} stopped answering (no tokens within the time limit).`);
      }
      throw chatFailureFromUpstream(model.provider.classifyError(error), provider.name);
    } finally {
      watchdog.stop();
    }
  }
}

/**
 * The caller's abort: its reason when that is a failure the client is owed (the drain ending the
 * stream), else a cancel that owes nothing.
 */
function cancellationOf(signal: AbortSignal): Error {
  return signal.reason instanceof ChatFailure ? signal.reason : new ChatCancelled();
}

/** The limit and key stores answer outages as an HTTP 503; a stream reports the same code as an event. */
function storeFailureAsChat(error: unknown): unknown {
  if (error instanceof ApiException && error.code === 'store_unavailable') {
    return new ChatFailure('store_unavailable', 'The session store is unreachable, so your keys cannot be read; try again shortly.');
  }
  return error;
}
