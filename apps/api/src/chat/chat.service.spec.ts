import { PinoLogger } from 'nestjs-pino';
import { AuditLog, type StreamAuditEntry } from '../audit/audit-log';
import type { Caller } from '../auth/caller';
import { Clock } from '../common/clock';
import { loadConfig } from '../config/app-config';
import { Fingerprinter } from '../crypto/fingerprinter';
import { KeyCipher } from '../crypto/key-cipher';
import { KeyResolver } from '../keys/key-resolver';
import { KeyStore } from '../keys/key-store';
import { InProcessKeyringStore } from '../keys/keyring/in-process-keyring-store';
import { ClientIdentity } from '../limits/client-identity';
import { Metrics } from '../metrics/metrics';
import { InProcessConcurrencyLimiter } from '../limits/concurrency-limiter';
import { RateLimits } from '../limits/rate-limits';
import { AnthropicAdapter } from '../providers/adapters/anthropic.adapter';
import { GeminiAdapter } from '../providers/adapters/gemini.adapter';
import { OpenAiAdapter } from '../providers/adapters/openai.adapter';
import { ProviderFactory } from '../providers/provider-factory';
import { ProviderRegistry } from '../providers/provider-registry';
import { UpstreamHttp } from '../providers/wire/upstream-http';
import { SessionLifetime } from '../session/session-lifetime';
import { ChatCancelled, ChatFailure } from './chat-failure';
import { ChatService } from './chat.service';
import type { ChatStartDto } from './dto/chat-requests.dto';

const ENV_KEY = 'sk-test-unit-server-key-0123456789abcdef';

/** The provider's side of the wire, scripted: the answer's SSE bytes, or a stream that waits for the test. */
class ScriptedHttp extends UpstreamHttp {
  readonly requests: Array<{ url: string; headers: Record<string, string>; body: unknown }> = [];
  answer: string[] = [];
  hold: Promise<void> | null = null;

  override async stream(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal, onChunk: (chunk: Buffer) => void): Promise<void> {
    this.requests.push({ url: url.toString(), headers, body: JSON.parse(body) as unknown });
    for (const part of this.answer) onChunk(Buffer.from(part));
    if (this.hold) {
      await Promise.race([this.hold, new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))]);
    }
  }
}

const openAiStream = (texts: string[], extra: string[] = []): string[] => [
  ...texts.map((text) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`),
  ...extra,
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: texts.length } })}\n\n`,
  'data: [DONE]\n\n',
];

/** The audit trail as entries rather than log lines. */
class RecordingAuditLog extends AuditLog {
  readonly streams: StreamAuditEntry[] = [];

  override stream(_caller: Caller, entry: StreamAuditEntry): void {
    this.streams.push(entry);
  }
}

describe('ChatService', () => {
  const clock = new Clock();
  const config = loadConfig({ OPENAI_API_KEY: ENV_KEY, CHAT_MAX_STREAMS: '1', CHAT_RATE_LIMIT: '3' });
  const fingerprinter = new Fingerprinter(config.keystoreSecrets[0]);
  let http: ScriptedHttp;
  let service: ChatService;
  const caller: Caller = {
    person: null,
    keyring: null,
    limitIdentity: 'ip-unit-test',
    keyLimitIdentity: 'ip-unit-test',
    addressIdentity: 'ip-unit-test',
  };
  let audit: RecordingAuditLog;
  let metrics: Metrics;
  const request = (overrides: Partial<ChatStartDto> = {}): ChatStartDto =>
    ({ id: 's1', provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...overrides }) as ChatStartDto;

  beforeEach(() => {
    http = new ScriptedHttp();
    const store = new KeyStore(
      new KeyCipher(config.keystoreSecrets),
      fingerprinter,
      new InProcessKeyringStore(clock),
      new SessionLifetime(config, clock),
      clock,
    );
    const factory = new ProviderFactory(new OpenAiAdapter(http), new AnthropicAdapter(http), new GeminiAdapter(http));
    metrics = new Metrics(config);
    audit = new RecordingAuditLog(new PinoLogger({ pinoHttp: { level: 'silent' } }), fingerprinter, new ClientIdentity(fingerprinter), metrics);
    service = new ChatService(
      config,
      new ProviderRegistry(config),
      new KeyResolver(store),
      factory,
      new RateLimits(config, null),
      new InProcessConcurrencyLimiter(),
      audit,
      clock,
      metrics,
    );
  });

  afterEach(() => http.onApplicationShutdown());

  it('streams each text delta through the adapter and ends with the finish, usage and key source', async () => {
    http.answer = openAiStream(['Hel', 'lo']);
    const deltas: string[] = [];
    const outcome = await service.stream(caller, 'socket', request(), new AbortController().signal, (text) => deltas.push(text));
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(outcome).toEqual({ finishReason: 'stop', usage: { inputTokens: 5, outputTokens: 2 }, credentialSource: 'env' });
    expect(audit.streams).toEqual([{ provider: 'openai', transport: 'socket', source: 'env', outcome: 'done' }]);
    // One first token timed, however many deltas followed.
    expect(await metrics.registry.getSingleMetricAsString('byok_chat_time_to_first_token_seconds')).toMatch(
      /byok_chat_time_to_first_token_seconds_count\{provider="openai",transport="socket"\} 1$/m,
    );
    expect(http.requests).toHaveLength(1);
    expect(http.requests[0]).toMatchObject({
      url: 'https://api.openai.com/v1/chat/completions',
      headers: { authorization: `Bearer ${ENV_KEY}` },
      body: { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true } },
    });
  });

  it.each([
    ['an unknown provider', request({ provider: 'nope' }), 'unknown_provider', /^provider: /],
    ['a model id that breaks the rule', request({ provider: 'gemini', model: 'tunedModels/x' }), 'bad_request', /^model: must be /],
    ['a temperature for Anthropic', request({ provider: 'anthropic', model: 'claude-haiku-4-5', options: { temperature: 0.5 } }), 'bad_request', /^options\.temperature: /],
    ['a provider without a key', request({ provider: 'anthropic', model: 'claude-haiku-4-5' }), 'no_key', /No Anthropic API key/],
  ])('refuses %s before any upstream call', async (_case, dto, code, message) => {
    const failure = await service.stream(caller, 'socket', dto, new AbortController().signal, () => undefined).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChatFailure);
    expect(failure).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(http.requests).toEqual([]);
    // Audited once, and an unknown id is not copied into the log.
    expect(audit.streams).toEqual([expect.objectContaining({ provider: dto.provider === 'nope' ? 'unknown' : dto.provider, outcome: code })]);
  });

  it('maps an error object sent inside the 200 stream, after the text that came before it', async () => {
    http.answer = openAiStream(['partial'], [`data: ${JSON.stringify({ error: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'no' } })}\n\n`]);
    const deltas: string[] = [];
    const failure = await service.stream(caller, 'socket', request(), new AbortController().signal, (text) => deltas.push(text)).catch((error: unknown) => error);
    expect(deltas).toEqual(['partial']);
    expect(failure).toMatchObject({ code: 'key_rejected', message: expect.stringMatching(/^OpenAI rejected the API key/) });
  });

  it('holds one stream slot per caller while a stream runs, and frees it when the caller cancels', async () => {
    let release = (): void => undefined;
    http.hold = new Promise((resolve) => (release = resolve));
    http.answer = [`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'wait' } }] })}\n\n`];
    const first = new AbortController();
    const running = service.stream(caller, 'socket', request(), first.signal, () => undefined);
    const second = await service.stream(caller, 'socket', request({ id: 's2' }), new AbortController().signal, () => undefined).catch((error: unknown) => error);
    expect(second).toMatchObject({ code: 'too_many_streams' });
    first.abort();
    await expect(running).rejects.toBeInstanceOf(ChatCancelled);
    release();
    http.hold = null;
    http.answer = openAiStream(['again']);
    await expect(service.stream(caller, 'socket', request({ id: 's3' }), new AbortController().signal, () => undefined)).resolves.toMatchObject({
      finishReason: 'stop',
    });
  });

  it('counts starts per caller and answers rate_limited with the wait once CHAT_RATE_LIMIT is used up', async () => {
    const outcomes: string[] = [];
    for (let start = 0; start < 4; start += 1) {
      http.answer = openAiStream(['x']);
      outcomes.push(
        await service.stream(caller, 'socket', request({ id: `r${start}` }), new AbortController().signal, () => undefined).then(
          () => 'done',
          (error: unknown) => (error instanceof ChatFailure ? `${error.code} ${error.retryAfter ?? ''}`.trim() : String(error)),
        ),
      );
    }
    expect(outcomes.slice(0, 3)).toEqual(['done', 'done', 'done']);
    expect(outcomes[3]).toMatch(/^rate_limited \d+$/);
  });
});
