import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import { FakeUpstream } from './index';

const KEY = 'sk-ant-test-spec-0123456789abcdef';
const REQUEST = {
  model: 'claude-sonnet-4-6',
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Say hello' }],
};

describe('fake upstream, Anthropic wire format through the @anthropic-ai/sdk', () => {
  const fake = new FakeUpstream({ keys: { anthropic: [KEY] } });
  const client = (apiKey = KEY): Anthropic =>
    new Anthropic({ apiKey, authToken: null, baseURL: fake.urlFor('anthropic'), maxRetries: 0 });

  beforeAll(async () => {
    await fake.start();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake.stop();
  });

  it('streams message_start, text deltas in order, message_delta with end_turn, and message_stop', async () => {
    const stream = await client().messages.create({ ...REQUEST, stream: true });
    const types: string[] = [];
    const texts: string[] = [];
    let stopReason: string | null = null;
    let outputTokens = 0;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') texts.push(event.delta.text);
      if (event.type === 'message_delta') {
        stopReason = event.delta.stop_reason;
        outputTokens = event.usage.output_tokens;
      }
    }

    expect(texts).toEqual(fake.expectedChunks());
    expect(texts).toHaveLength(8);
    // The SDK swallows `ping`, so it never shows up here.
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      ...texts.map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(stopReason).toBe('end_turn');
    expect(outputTokens).toBeGreaterThan(0);
    expect(fake.lastRequest('anthropic')).toMatchObject({ model: 'claude-sonnet-4-6', stream: true, outcome: 'completed' });
  });

  it('assembles the same text through the SDK MessageStream helper', async () => {
    const message = await client().messages.stream(REQUEST).finalMessage();

    expect(message.content).toEqual([{ type: 'text', text: fake.expectedText() }]);
    expect(message.stop_reason).toBe('end_turn');
  });

  it('answers a non-streaming request with a complete message', async () => {
    const message = await client().messages.create(REQUEST);

    expect(message.type).toBe('message');
    expect(message.content).toEqual([{ type: 'text', text: fake.expectedText() }]);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('lists models with display names and follows has_more / last_id pagination', async () => {
    const ids: string[] = [];
    for await (const model of client().models.list({ limit: 2 })) {
      ids.push(model.id);
      expect(model.type).toBe('model');
      expect(typeof model.display_name).toBe('string');
      expect(typeof model.created_at).toBe('string');
    }
    const first = await client().models.list({ limit: 100 });

    expect(ids).toEqual(['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7']);
    expect(first.data[0].display_name).toBe('Claude Sonnet 4.6');
    expect(fake.requestsFor('anthropic').filter((request) => request.endpoint === 'models')).toHaveLength(3);
  });

  it('rejects a wrong key with a 401 AuthenticationError in the Anthropic error shape and records the key', async () => {
    const wrongKey = 'sk-ant-wrong-0123456789abcdef0000';

    const failure = await client(wrongKey)
      .messages.create({ ...REQUEST, stream: true })
      .then(
        () => null,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(Anthropic.AuthenticationError);
    const apiError = failure as InstanceType<typeof Anthropic.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.error).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    expect(apiError.message).not.toContain(wrongKey);
    // This SDK version sends the API key as a bearer token, not in x-api-key.
    expect(fake.lastRequest('anthropic')).toMatchObject({ key: wrongKey, keySource: 'authorization', keyAccepted: false });
  });

  it('accepts the key in x-api-key too, and requires the anthropic-version header', async () => {
    const base = fake.urlFor('anthropic');
    const withVersion = await fetch(`${base}/v1/models`, { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    const withoutVersion = await fetch(`${base}/v1/models`, { headers: { 'x-api-key': KEY } });

    expect(withVersion.status).toBe(200);
    expect(withoutVersion.status).toBe(400);
    expect(await withoutVersion.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
    expect(fake.requestsFor('anthropic').map((request) => request.keySource)).toEqual(['x-api-key', 'x-api-key']);
  });

  it('fails with a 429 RateLimitError carrying retry-after while a status429 failure is injected', async () => {
    fake.inject({ kind: 'status429', provider: 'anthropic', retryAfterSeconds: 3 });

    const failure = await client()
      .messages.create({ ...REQUEST, stream: true })
      .then(
        () => null,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(Anthropic.RateLimitError);
    const apiError = failure as InstanceType<typeof Anthropic.RateLimitError>;
    expect(apiError.status).toBe(429);
    expect(apiError.headers?.get('retry-after')).toBe('3');
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('records the stream as closed by the client promptly after an abort, and stops writing to it', async () => {
    fake.configure({ chunkDelayMs: 50 });
    const controller = new AbortController();
    const stream = await client().messages.create({ ...REQUEST, stream: true }, { signal: controller.signal });
    let abortedAt = 0;
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta') deltas += 1;
      if (deltas === 2) {
        abortedAt = performance.timeOrigin + performance.now();
        controller.abort();
      }
    }

    const record = await fake.waitForRequest((request) => request.closedAt !== null);
    expect(record.outcome).toBe('closed-by-client');
    // Generous here: this proves the fake notices a close promptly; the product's 100 ms target
    // is asserted end to end in apps/api/test/chat.integration.spec.ts.
    expect((record.closedAt ?? Infinity) - abortedAt).toBeLessThan(250);
    const chunksAtClose = record.chunksSent;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(record.chunksSent).toBe(chunksAtClose);
    expect(chunksAtClose).toBeLessThan(8);
  });

  it('makes stream iteration throw when the upstream drops the connection mid-stream', async () => {
    fake.inject({ kind: 'dropMidStream', provider: 'anthropic', afterChunks: 2 });
    const stream = await client().messages.create({ ...REQUEST, stream: true });
    const texts: string[] = [];

    const iterate = async (): Promise<void> => {
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') texts.push(event.delta.text);
      }
    };

    // Node's fetch reports the cut connection as TypeError('terminated'); the SDK passes it on.
    await expect(iterate()).rejects.toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(texts).toEqual(fake.expectedChunks().slice(0, 2));
    expect(fake.lastRequest('anthropic')).toMatchObject({ outcome: 'dropped', chunksSent: 2 });
  });
});
