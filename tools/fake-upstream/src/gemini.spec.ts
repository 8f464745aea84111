import { performance } from 'node:perf_hooks';
import { ApiError, GoogleGenAI } from '@google/genai';
import { FakeUpstream } from './index';

const KEY = 'AIzaTestSpec0123456789abcdefghijklmno';
const CONTENTS = [{ role: 'user', parts: [{ text: 'Say hello' }] }];

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (error: unknown) => error,
  );
}

describe('fake upstream, Gemini wire format through the @google/genai SDK', () => {
  const fake = new FakeUpstream({ keys: { gemini: [KEY] } });
  const client = (apiKey = KEY): GoogleGenAI => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: fake.urlFor('gemini') } });

  beforeAll(async () => {
    await fake.start();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake.stop();
  });

  it('streams every chunk in order over alt=sse, the last with finishReason STOP and usageMetadata', async () => {
    const stream = await client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: CONTENTS });
    const texts: string[] = [];
    const finishReasons: Array<string | undefined> = [];
    let candidatesTokenCount: number | undefined;
    for await (const chunk of stream) {
      texts.push(chunk.text ?? '');
      finishReasons.push(chunk.candidates?.[0]?.finishReason);
      candidatesTokenCount = chunk.usageMetadata?.candidatesTokenCount ?? candidatesTokenCount;
    }

    expect(texts).toEqual(fake.expectedChunks());
    expect(finishReasons).toEqual([...Array<undefined>(7).fill(undefined), 'STOP']);
    expect(candidatesTokenCount).toBeGreaterThan(0);
    const record = fake.lastRequest('gemini');
    expect(record).toMatchObject({
      path: '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent',
      model: 'gemini-2.5-flash',
      stream: true,
      key: KEY,
      keySource: 'x-goog-api-key',
      outcome: 'completed',
    });
  });

  it('answers generateContent with the full text in one response', async () => {
    const response = await client().models.generateContent({ model: 'gemini-2.5-pro', contents: CONTENTS });

    expect(response.text).toBe(fake.expectedText());
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
  });

  it('lists models named "models/<id>" with display names, following nextPageToken', async () => {
    const pager = await client().models.list({ config: { pageSize: 2 } });
    const models: Array<{ name?: string; displayName?: string }> = [];
    for await (const model of pager) {
      models.push(model);
    }

    expect(models.map((model) => model.name)).toEqual([
      'models/gemini-2.5-flash',
      'models/gemini-2.5-pro',
      'models/gemini-2.0-flash',
    ]);
    expect(models[0].displayName).toBe('Gemini 2.5 Flash');
    expect(fake.requestsFor('gemini').filter((request) => request.endpoint === 'models')).toHaveLength(2);
  });

  it('rejects a wrong key with 400 INVALID_ARGUMENT / API_KEY_INVALID, as the real API does, and records the key', async () => {
    const wrongKey = 'AIzaWrongKey0123456789abcdefghijklmn';

    const failure = await failureOf(client(wrongKey).models.generateContentStream({ model: 'gemini-2.5-flash', contents: CONTENTS }));

    expect(failure).toBeInstanceOf(ApiError);
    const apiError = failure as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.message).toContain('API key not valid');
    expect(apiError.message).toContain('API_KEY_INVALID');
    expect(apiError.message).toContain('INVALID_ARGUMENT');
    expect(apiError.message).not.toContain(wrongKey);
    expect(fake.lastRequest('gemini')).toMatchObject({ key: wrongKey, keySource: 'x-goog-api-key', keyAccepted: false, status: 400 });
  });

  it('takes the key from ?key= when no x-goog-api-key header is sent', async () => {
    const base = fake.urlFor('gemini');
    const good = await fetch(`${base}/v1beta/models?key=${KEY}`);
    const bad = await fetch(`${base}/v1beta/models?key=AIzaNotTheKey`);
    const missing = await fetch(`${base}/v1beta/models`);

    expect([good.status, bad.status, missing.status]).toEqual([200, 400, 403]);
    expect(fake.requestsFor('gemini').map((request) => request.keySource)).toEqual(['query', 'query', null]);
    expect(fake.requestsFor('gemini').every((request) => !request.path.includes('key='))).toBe(true);
  });

  it('fails with a 429 ApiError while a status429 failure is injected, and only for the next N requests', async () => {
    fake.inject({ kind: 'status429', provider: 'gemini', endpoint: 'chat', times: 2 });
    const attempt = (): Promise<unknown> =>
      failureOf(client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: CONTENTS }));

    const outcomes = [await attempt(), await attempt(), await attempt()];

    expect((outcomes[0] as ApiError).status).toBe(429);
    expect((outcomes[0] as ApiError).message).toContain('RESOURCE_EXHAUSTED');
    expect((outcomes[1] as ApiError).status).toBe(429);
    expect(outcomes[2]).toBeNull();
    expect(fake.failures).toHaveLength(0);
  });

  it('records the stream as closed by the client promptly after an abort, and stops writing to it', async () => {
    fake.configure({ chunkDelayMs: 50 });
    const controller = new AbortController();
    const stream = await client().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: CONTENTS,
      config: { abortSignal: controller.signal },
    });
    let abortedAt = 0;
    let chunks = 0;

    // Unlike the other two SDKs, this one surfaces the abort as an error from the iterator.
    const iteration = await failureOf(
      (async () => {
        for await (const chunk of stream) {
          if (chunk.text) chunks += 1;
          if (chunks === 2) {
            abortedAt = performance.timeOrigin + performance.now();
            controller.abort();
          }
        }
      })(),
    );

    // Errors from Node's fetch come from another realm than Jest's, so match by name.
    expect(iteration).toMatchObject({ name: 'AbortError' });
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
    fake.inject({ kind: 'dropMidStream', provider: 'gemini', afterChunks: 4 });
    const stream = await client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: CONTENTS });
    const texts: string[] = [];

    const iteration = await failureOf(
      (async () => {
        for await (const chunk of stream) texts.push(chunk.text ?? '');
      })(),
    );

    expect(iteration).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(texts).toEqual(fake.expectedChunks().slice(0, 4));
    expect(fake.lastRequest('gemini')).toMatchObject({ outcome: 'dropped', chunksSent: 4 });
  });
});
