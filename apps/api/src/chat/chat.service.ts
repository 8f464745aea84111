import { Inject, Injectable } from '@nestjs/common';
import { CHAT_LIMITS, type ChatDoneEvent } from '@byok/contracts';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { KeyResolver } from '../keys/key-resolver';
import type { ChatUsage } from '../providers/clients/provider-client';
import { ProviderFactory } from '../providers/provider-factory';
import { ProviderRegistry } from '../providers/provider-registry';
import type { SessionRequest } from '../session/session-request';
import { ChatCancelled, ChatFailure, chatFailureFromUpstream } from './chat-failure';
import type { ChatStartDto } from './dto/chat-requests.dto';
import { StreamWatchdog } from './stream-watchdog';

export type ChatOutcome = Omit<ChatDoneEvent, 'id'>;

/**
 * Runs one chat stream for either transport: picks the key for this request from the caller's
 * current session (or the environment, by policy), streams through the provider's SDK, and
 * turns every way a stream can end into an outcome, a ChatFailure or ChatCancelled.
 */
@Injectable()
export class ChatService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
    private readonly resolver: KeyResolver,
    private readonly factory: ProviderFactory,
  ) {}

  async stream(
    req: SessionRequest,
    request: ChatStartDto,
    signal: AbortSignal,
    onDelta: (text: string) => void,
  ): Promise<ChatOutcome> {
    const provider = this.registry.find(request.provider);
    if (!provider) {
      throw new ChatFailure('bad_request', `Unknown provider "${request.provider.slice(0, 40)}".`);
    }
    const totalChars = request.messages.reduce((sum, message) => sum + message.content.length, 0);
    if (totalChars > CHAT_LIMITS.maxTotalChars) {
      throw new ChatFailure('bad_request', `The conversation is too long (at most ${CHAT_LIMITS.maxTotalChars} characters).`);
    }
    const { key, source } = this.resolver.resolve(req, provider.id);
    if (!key && provider.keyRequired) {
      throw new ChatFailure(
        'no_key',
        `No ${provider.name} API key is available: add your key in Settings → API keys${provider.policy === 'env-only' ? ', or ask your administrator (only the server key is allowed)' : ''}.`,
      );
    }
    const model = this.factory.chatModelWithApiKey(provider.id, request.model, key);
    const watchdog = new StreamWatchdog(this.config.chatFirstTokenTimeoutMs, this.config.chatIdleTimeoutMs);
    let finishReason = 'stop';
    let usage: ChatUsage | undefined;
    try {
      const events = model.stream(
        { messages: request.messages, maxTokens: request.options?.maxTokens, temperature: request.options?.temperature },
        AbortSignal.any([signal, watchdog.signal]),
      );
      for await (const event of events) {
        watchdog.progress();
        if (event.type === 'text') {
          onDelta(event.text);
        } else {
          finishReason = event.finishReason;
          usage = event.usage;
        }
      }
    } catch (error) {
      if (signal.aborted) throw new ChatCancelled();
      if (watchdog.fired) {
        throw new ChatFailure('timeout', `${provider.name} stopped answering (no tokens within the time limit).`);
      }
      throw chatFailureFromUpstream(model.provider.classifyError(error), provider.name);
    } finally {
      watchdog.stop();
    }
    if (signal.aborted) throw new ChatCancelled();
    return { finishReason, usage, credentialSource: source };
  }
}
