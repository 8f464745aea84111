import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { FakeUpstream } from './index';

const KEYS = {
  openai: 'sk-test-failures-0123456789',
  anthropic: 'sk-ant-test-failures-0123456789ab',
  gemini: 'AIzaTestFailures0123456789abcdefghij',
};
const MESSAGES = [{ role: 'user' as const, content: 'Say hello' }];

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (error: unknown) => error,
  );
}

describe('fake upstream failure injection, pacing and lifecycle', () => {
  const fake = new FakeUpstream({
    keys: { openai: [KEYS.openai], anthropic: [KEYS.anthropic], gemini: [KEYS.gemini] },
  });
  const openai = (options: { timeout?: number } = {}): OpenAI =>
    new OpenAI({ apiKey: KEYS.openai, baseURL: fake.urlFor('openai'), maxRetries: 0, ...options });
  const anthropic = (): Anthropic =>
    new Anthropic({ apiKey: KEYS.anthropic, authToken: null, baseURL: fake.urlFor('anthropic'), maxRetries: 0 });
  const gemini = (): GoogleGenAI => new GoogleGenAI({ apiKey: KEYS.gemini, httpOptions: { baseUrl: fake.urlFor('gemini') } });

  const openAiText = async (): Promise<string> => {
    let text = '';
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return text;
  };

  beforeAll(async () => {
    await fake.start();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake.stop();
  });

  it('status500 scoped to one provider fails only that provider', async () => {
    fake.inject({ kind: 'status500', provider: 'gemini' });

    const geminiFailure = await failureOf(gemini().models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }));
    const openAiResult = await openAiText();

    expect(geminiFailure).toBeInstanceOf(ApiError);
    expect((geminiFailure as ApiError).status).toBe(500);
    expect((geminiFailure as ApiError).message).toContain('INTERNAL');
    expect(openAiResult).toBe(fake.expectedText());
  });

  it('status500 without a provider fails every provider with its own error class', async () => {
    fake.inject({ kind: 'status500' });

    const openAiFailure = await failureOf(openai().models.list());
    const anthropicFailure = await failureOf(anthropic().models.list());

    expect(openAiFailure).toBeInstanceOf(OpenAI.InternalServerError);
    expect(anthropicFailure).toBeInstanceOf(Anthropic.InternalServerError);
    expect((anthropicFailure as InstanceType<typeof Anthropic.InternalServerError>).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error' },
    });
  });

  it('a failure scoped to chat leaves model listings alone', async () => {
    fake.inject({ kind: 'status429', endpoint: 'chat' });

    const models = await openai().models.list();
    const chat = await failureOf(openai().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }));

    expect(models.data.length).toBeGreaterThan(0);
    expect(chat).toBeInstanceOf(OpenAI.RateLimitError);
    expect(fake.failures[0]).toMatchObject({ hits: 1, remaining: null });
  });

  it('neverAnswer sends no headers, so the SDK gives up on its timeout, and the fake records when it did', async () => {
    fake.inject({ kind: 'neverAnswer', times: 1 });
    const startedAt = performance.timeOrigin + performance.now();

    const failure = await failureOf(
      openai({ timeout: 200 }).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true }),
    );

    // Outside Jest this is the subclass APIConnectionTimeoutError. Inside, fetch's AbortError
    // comes from another realm, fails the SDK's `instanceof Error` and loses its name.
    expect(failure).toBeInstanceOf(OpenAI.APIConnectionError);
    const record = await fake.waitForRequest((request) => request.closedAt !== null);
    expect(record).toMatchObject({ failure: 'neverAnswer', status: null, respondedAt: null, outcome: 'closed-by-client' });
    expect((record.closedAt ?? 0) - startedAt).toBeGreaterThanOrEqual(190);
  });

  it('slowTrickle delivers the complete stream in small, spaced-out byte fragments', async () => {
    fake.configure({ chunkCount: 2 });
    fake.inject({ kind: 'slowTrickle', fragmentBytes: 64, intervalMs: 10 });
    const startedAt = performance.now();

    const message = await anthropic()
      .messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, messages: MESSAGES })
      .finalMessage();

    // Roughly 1.5 kB of events in 64-byte slices 10 ms apart.
    expect(performance.now() - startedAt).toBeGreaterThan(150);
    expect(message.content).toEqual([{ type: 'text', text: fake.expectedText() }]);
    expect(fake.lastRequest()).toMatchObject({ failure: 'slowTrickle', outcome: 'completed', chunksSent: 2 });
  });

  it('firstChunkDelayMs and chunkDelayMs pace the content chunks', async () => {
    fake.configure({ chunkCount: 4, firstChunkDelayMs: 120, chunkDelayMs: 40 });
    const startedAt = performance.now();

    const text = await openAiText();

    const record = fake.lastRequest();
    expect(text).toBe(fake.expectedText());
    expect((record?.firstChunkAt ?? 0) - (record?.respondedAt ?? 0)).toBeGreaterThanOrEqual(110);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(120 + 3 * 40 - 10);
  });

  it('counts open connections and open streams while a stream runs, and none once it has ended', async () => {
    fake.configure({ chunkDelayMs: 30 });
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true });
    const during = fake.stats();
    for await (const chunk of stream) void chunk;
    const record = await fake.waitForEnd(fake.lastRequest()?.id ?? -1);

    expect(during).toMatchObject({ openStreams: 1, activeRequests: 1 });
    expect(during.openConnections).toBeGreaterThanOrEqual(1);
    expect(record.outcome).toBe('completed');
    expect(fake.stats()).toMatchObject({ openStreams: 0, activeRequests: 0 });
  });

  it('rejects a times value that is not a positive integer', () => {
    expect(() => fake.inject({ kind: 'status500', times: 0 })).toThrow(RangeError);
  });
});

describe('fake upstream stop()', () => {
  it('closes requests left hanging by neverAnswer, records them as closed by the server, and can start again', async () => {
    const fake = new FakeUpstream({ keys: { openai: [KEYS.openai] } });
    await fake.start();
    fake.inject({ kind: 'neverAnswer' });
    const hanging = fetch(`${fake.urlFor('openai')}/models`, { headers: { authorization: `Bearer ${KEYS.openai}` } }).then(
      () => 'answered',
      () => 'connection closed',
    );
    await fake.waitForRequest((request) => request.failure === 'neverAnswer');

    await fake.stop();

    await expect(hanging).resolves.toBe('connection closed');
    expect(fake.lastRequest()).toMatchObject({ outcome: 'closed-by-server', closedAt: null });
    expect(fake.stats()).toMatchObject({ openConnections: 0, activeRequests: 0 });
    fake.clearFailures();
    await fake.start();
    const response = await fetch(`${fake.urlFor('openai')}/models`, { headers: { authorization: `Bearer ${KEYS.openai}` } });
    expect(response.status).toBe(200);
    await fake.stop();
  });
});
