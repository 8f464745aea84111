import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { FakeUpstream } from './index';

const KEY = 'sk-test-openai-spec-0123456789';
const MESSAGES = [{ role: 'user' as const, content: 'Say hello' }];

describe('fake upstream, OpenAI wire format through the openai SDK', () => {
  const fake = new FakeUpstream({ keys: { openai: [KEY] } });
  const client = (apiKey = KEY, provider = 'openai'): OpenAI =>
    new OpenAI({ apiKey, baseURL: fake.urlFor(provider), maxRetries: 0 });

  beforeAll(async () => {
    await fake.start();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake.stop();
  });

  it('streams every content chunk in order, then finish_reason "stop" and a usage chunk', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    const contents: string[] = [];
    const finishReasons: string[] = [];
    let role: string | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      role ??= choice?.delta.role;
      if (choice?.delta.content) contents.push(choice.delta.content);
      if (choice?.finish_reason) finishReasons.push(choice.finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }

    expect(role).toBe('assistant');
    expect(contents).toEqual(fake.expectedChunks());
    expect(contents).toHaveLength(8);
    expect(contents.join('')).toContain('Chunk 8 of 8');
    expect(finishReasons).toEqual(['stop']);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    const record = fake.lastRequest('openai');
    expect(record).toMatchObject({ endpoint: 'chat', model: 'gpt-4o-mini', stream: true, outcome: 'completed', chunksSent: 8 });
  });

  it('answers a non-streaming request with one chat.completion holding the full text', async () => {
    const completion = await client().chat.completions.create({ model: 'gpt-4o', messages: MESSAGES });

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o');
    expect(completion.choices[0].message.content).toBe(fake.expectedText());
    expect(completion.choices[0].finish_reason).toBe('stop');
  });

  it('lists the configured models as a list object', async () => {
    const page = await client().models.list();

    expect(page.data.map((model) => model.id)).toEqual(['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini']);
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'fake-upstream' });
  });

  it('sends the configured text in the configured number of chunks', async () => {
    fake.configure({ text: 'The quick brown fox jumps over the lazy dog.', chunkCount: 3 });

    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true });
    let text = '';
    let contentChunks = 0;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) {
        text += content;
        contentChunks += 1;
      }
    }

    expect(text).toBe('The quick brown fox jumps over the lazy dog.');
    expect(contentChunks).toBe(3);
  });

  it('rejects a wrong key with a 401 AuthenticationError, records the key it got, and never echoes it', async () => {
    const wrongKey = 'sk-wrong-key-0123456789abcdef';

    const failure = await client(wrongKey)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true })
      .then(
        () => null,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = failure as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.code).toBe('invalid_api_key');
    expect(apiError.type).toBe('invalid_request_error');
    expect(apiError.message).not.toContain(wrongKey);
    expect(JSON.stringify(apiError.error)).not.toContain('wrong-key');
    expect(fake.lastRequest('openai')).toMatchObject({
      key: wrongKey,
      keySource: 'authorization',
      keyAccepted: false,
      status: 401,
      outcome: 'rejected',
    });
  });

  it('fails with a 429 RateLimitError carrying retry-after while a status429 failure is injected', async () => {
    fake.inject({ kind: 'status429', provider: 'openai', retryAfterSeconds: 7, times: 1 });

    const failure = await client()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true })
      .then(
        () => null,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = failure as InstanceType<typeof OpenAI.RateLimitError>;
    expect(apiError.status).toBe(429);
    expect(apiError.headers?.get('retry-after')).toBe('7');
    expect(fake.lastRequest('openai')).toMatchObject({ failure: 'status429', outcome: 'injected-error' });
    // `times: 1` spent: the next request streams normally.
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(fake.expectedText());
  });

  it('records the stream as closed by the client promptly after an abort, and stops writing to it', async () => {
    fake.configure({ chunkDelayMs: 50 });
    const controller = new AbortController();
    const stream = await client().chat.completions.create(
      { model: 'gpt-4o-mini', messages: MESSAGES, stream: true },
      { signal: controller.signal },
    );
    let abortedAt = 0;
    let contentChunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) contentChunks += 1;
      if (contentChunks === 2) {
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
    expect(fake.stats().openStreams).toBe(0);
  });

  it('makes stream iteration throw when the upstream drops the connection mid-stream', async () => {
    fake.inject({ kind: 'dropMidStream', afterChunks: 3 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true });
    const received: string[] = [];

    const iterate = async (): Promise<void> => {
      for await (const chunk of stream) {
        const content = chunk.choices[0]?.delta.content;
        if (content) received.push(content);
      }
    };

    // Node's fetch reports the cut connection as TypeError('terminated'); the SDK passes it on.
    await expect(iterate()).rejects.toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(received).toEqual(fake.expectedChunks().slice(0, 3));
    expect(fake.lastRequest()).toMatchObject({ outcome: 'dropped', chunksSent: 3, closedAt: null });
  });

  it('serves OpenAI-compatible providers under any /<id>/v1 prefix, keyless when configured so', async () => {
    const page = await client('anything-at-all', 'ollama').models.list();
    const completion = await client('anything-at-all', 'ollama').chat.completions.create({
      model: 'llama3.2',
      messages: MESSAGES,
    });

    expect(page.data.map((model) => model.id)).toEqual(['llama3.2', 'qwen2.5']);
    expect(completion.choices[0].message.content).toBe(fake.expectedText());
    expect(fake.requestsFor('ollama').map((request) => request.key)).toEqual(['anything-at-all', 'anything-at-all']);
  });
});
