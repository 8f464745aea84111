import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { optionsFromEnvironment } from './environment';
import { FakeUpstream, type StreamErrorKind } from './index';

const KEYS = {
  openai: 'sk-test-error-mid-stream-0123456789',
  anthropic: 'sk-ant-test-error-mid-stream-0123456789',
  gemini: 'AIzaTestErrorMidStream0123456789abcdef',
};
const CHUNKS = ['Hello', ' there', ', friend', '.'];

type Route = 'openai' | 'ollama' | 'anthropic' | 'gemini';

/**
 * The exact bytes each wire format ends a failed stream with, kind by kind. Spelled out in
 * full so a change to a field, its order or the event framing shows up here.
 */
const ERROR_FRAMES: Record<Route, Record<StreamErrorKind, string>> = {
  openai: {
    auth: 'data: {"error":{"message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}\n\n',
    rate_limited:
      'data: {"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}\n\n',
    overloaded:
      'data: {"error":{"message":"That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com if the error persists.","type":"server_error","param":null,"code":null}}\n\n',
    bad_request:
      'data: {"error":{"message":"This model\'s maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}\n\n',
  },
  ollama: {
    auth: 'data: {"error":{"code":401,"message":"User not found."}}\n\ndata: [DONE]\n\n',
    rate_limited:
      'data: {"error":{"code":429,"message":"Rate limit exceeded: free-models-per-min.","metadata":{"headers":{"X-RateLimit-Limit":"20","X-RateLimit-Remaining":"0"}}}}\n\ndata: [DONE]\n\n',
    overloaded:
      'data: {"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"fake-upstream","raw":"The model is overloaded. Please try again later."}}}\n\ndata: [DONE]\n\n',
    bad_request:
      'data: {"error":{"code":400,"message":"This endpoint\'s maximum context length is 131072 tokens. However, you requested about 140000 tokens. Please reduce the length of the messages."}}\n\ndata: [DONE]\n\n',
  },
  anthropic: {
    auth: 'event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}\n\n',
    rate_limited:
      'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization. Please try again later."}}\n\n',
    overloaded: 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    bad_request:
      'event: error\ndata: {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}\n\n',
  },
  gemini: {
    auth: 'data: {"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED"}}\r\n\r\n',
    rate_limited: 'data: {"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}\r\n\r\n',
    overloaded: 'data: {"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}\r\n\r\n',
    bad_request:
      'data: {"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}\r\n\r\n',
  },
};

const ROUTES: readonly Route[] = ['openai', 'ollama', 'anthropic', 'gemini'];
const KINDS: readonly StreamErrorKind[] = ['auth', 'rate_limited', 'overloaded', 'bad_request'];

interface RawStream {
  status: number;
  contentType: string | null;
  body: string;
}

/** The end of `body` as long as `expected`, so a mismatch prints both texts. */
function tail(body: string, expected: string): string {
  return body.slice(-expected.length);
}

function jsonObject(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}

/** The text deltas of a raw stream body, read the way each family's clients read them. */
function textDeltasOf(route: Route, body: string): string[] {
  const deltas: string[] = [];
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = /^data: (.*)$/m.exec(event)?.[1];
    if (data === undefined || data === '[DONE]') continue;
    const parsed = jsonObject(data);
    if (route === 'anthropic') {
      const delta = parsed['delta'] as { text?: string } | undefined;
      if (parsed['type'] === 'content_block_delta' && delta?.text) deltas.push(delta.text);
    } else if (route === 'gemini') {
      const candidates = parsed['candidates'] as Array<{ content: { parts: Array<{ text: string }> } }> | undefined;
      const text = candidates?.[0]?.content.parts[0]?.text;
      if (text) deltas.push(text);
    } else {
      const choices = parsed['choices'] as Array<{ delta: { content?: string } }> | undefined;
      const content = choices?.[0]?.delta.content;
      if (content) deltas.push(content);
    }
  }
  return deltas;
}

describe('fake upstream errorMidStream', () => {
  const fake = new FakeUpstream({
    keys: { openai: [KEYS.openai], anthropic: [KEYS.anthropic], gemini: [KEYS.gemini], ollama: null },
    chunks: CHUNKS,
  });

  /** Starts a streamed chat on `route` as its SDK would send it and reads the body to its end. */
  async function rawStream(route: Route, options: { geminiAltSse?: boolean } = {}): Promise<RawStream> {
    const base = fake.urlFor(route);
    const requests: Record<Route, () => Promise<Response>> = {
      openai: () =>
        fetch(`${base}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEYS.openai}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }),
        }),
      ollama: () =>
        fetch(`${base}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: true }),
        }),
      anthropic: () =>
        fetch(`${base}/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': KEYS.anthropic, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], stream: true }),
        }),
      gemini: () =>
        fetch(`${base}/v1beta/models/gemini-2.5-flash:streamGenerateContent${options.geminiAltSse === false ? '' : '?alt=sse'}`, {
          method: 'POST',
          headers: { 'x-goog-api-key': KEYS.gemini, 'content-type': 'application/json' },
          body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
        }),
    };
    const response = await requests[route]();
    return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
  }

  beforeAll(async () => {
    await fake.start();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake.stop();
  });

  describe.each(ROUTES)('on %s', (route) => {
    it.each(KINDS)('sends two chunks by default, then the %s error in the provider format as the last bytes of a 200 stream', async (kind) => {
      fake.inject({ kind: 'errorMidStream', provider: route, error: kind });

      const stream = await rawStream(route);

      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      expect(tail(stream.body, ERROR_FRAMES[route][kind])).toBe(ERROR_FRAMES[route][kind]);
      expect(textDeltasOf(route, stream.body)).toEqual(CHUNKS.slice(0, 2));
      const record = await fake.waitForEnd(fake.lastRequest(route)?.id ?? -1);
      expect(record).toMatchObject({ status: 200, failure: 'errorMidStream', outcome: 'error-mid-stream', chunksSent: 2, closedAt: null });
      expect(fake.stats()).toMatchObject({ openStreams: 0, activeRequests: 0 });
    });
  });

  it('sends none of the normal ending after the error: no finish chunk, no message_stop, no finishReason', async () => {
    for (const route of ROUTES) fake.inject({ kind: 'errorMidStream', provider: route, error: 'overloaded' });

    const bodies = await Promise.all(ROUTES.map((route) => rawStream(route).then((stream) => stream.body)));

    const [openai, ollama, anthropic, gemini] = bodies;
    expect(openai).not.toContain('finish_reason":"stop');
    expect(openai).not.toContain('[DONE]');
    expect(ollama).not.toContain('finish_reason":"stop');
    expect(anthropic).not.toContain('message_stop');
    expect(anthropic).not.toContain('content_block_stop');
    expect(gemini).not.toContain('finishReason');
  });

  it('sends the error before any content with afterChunks 0, and after every chunk but before the ending when afterChunks exceeds them', async () => {
    fake.inject({ kind: 'errorMidStream', provider: 'anthropic', error: 'rate_limited', afterChunks: 0, times: 1 });
    fake.inject({ kind: 'errorMidStream', provider: 'anthropic', error: 'rate_limited', afterChunks: 99, times: 1 });

    const early = await rawStream('anthropic');
    const late = await rawStream('anthropic');

    expect(textDeltasOf('anthropic', early.body)).toEqual([]);
    expect(early.body).toContain('event: message_start');
    expect(tail(early.body, ERROR_FRAMES.anthropic.rate_limited)).toBe(ERROR_FRAMES.anthropic.rate_limited);
    expect(textDeltasOf('anthropic', late.body)).toEqual(CHUNKS);
    expect(tail(late.body, ERROR_FRAMES.anthropic.rate_limited)).toBe(ERROR_FRAMES.anthropic.rate_limited);
    expect(late.body).not.toContain('message_stop');
    expect(fake.requestsFor('anthropic').map((request) => [request.outcome, request.chunksSent])).toEqual([
      ['error-mid-stream', 0],
      ['error-mid-stream', CHUNKS.length],
    ]);
  });

  it('ends the JSON-array stream of Gemini without alt=sse with the error as its last element', async () => {
    fake.inject({ kind: 'errorMidStream', provider: 'gemini', error: 'overloaded', afterChunks: 1 });

    const stream = await rawStream('gemini', { geminiAltSse: false });

    const elements = JSON.parse(stream.body) as Array<Record<string, unknown>>;
    expect(elements).toHaveLength(2);
    expect(elements[1]).toEqual({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } });
  });

  it('paces the error like a content chunk, chunkDelayMs after the last one', async () => {
    fake.configure({ chunkDelayMs: 60 });
    fake.inject({ kind: 'errorMidStream', provider: 'openai', error: 'auth', afterChunks: 1 });

    await rawStream('openai');

    const record = fake.lastRequest('openai');
    expect((record?.endedAt ?? 0) - (record?.firstChunkAt ?? Infinity)).toBeGreaterThanOrEqual(55);
  });

  it('leaves non-streaming chats and model listings alone', async () => {
    fake.inject({ kind: 'errorMidStream', error: 'auth' });

    const listing = await fetch(`${fake.urlFor('openai')}/models`, { headers: { authorization: `Bearer ${KEYS.openai}` } });
    const answer = await new OpenAI({ apiKey: KEYS.openai, baseURL: fake.urlFor('openai'), maxRetries: 0 }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });

    expect(listing.status).toBe(200);
    expect(answer.choices[0].message.content).toBe(CHUNKS.join(''));
    expect(fake.requests.map((request) => request.failure)).toEqual([null, null]);
    expect(fake.failures[0]).toMatchObject({ hits: 0 });
  });

  it('makes the openai SDK throw an APIError carrying the error object after yielding the chunks before it', async () => {
    fake.inject({ kind: 'errorMidStream', provider: 'openai', error: 'rate_limited' });
    const stream = await new OpenAI({ apiKey: KEYS.openai, baseURL: fake.urlFor('openai'), maxRetries: 0 }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const received: string[] = [];

    const iterate = async (): Promise<void> => {
      for await (const chunk of stream) {
        const content = chunk.choices[0]?.delta.content;
        if (content) received.push(content);
      }
    };

    await expect(iterate()).rejects.toMatchObject({ constructor: OpenAI.APIError, code: 'rate_limit_exceeded', type: 'requests' });
    expect(received).toEqual(CHUNKS.slice(0, 2));
  });

  it('makes the @anthropic-ai/sdk throw an APIError carrying the error event body after yielding the chunks before it', async () => {
    fake.inject({ kind: 'errorMidStream', provider: 'anthropic', error: 'overloaded' });
    const client = new Anthropic({ apiKey: KEYS.anthropic, authToken: null, baseURL: fake.urlFor('anthropic'), maxRetries: 0 });
    const stream = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], stream: true });
    const received: string[] = [];

    const iterate = async (): Promise<void> => {
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') received.push(event.delta.text);
      }
    };

    await expect(iterate()).rejects.toMatchObject({
      constructor: Anthropic.APIError,
      error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    expect(received).toEqual(CHUNKS.slice(0, 2));
  });

  // The SDK only throws for an error chunk that is bare JSON; the API reads the SSE itself for this reason.
  it('does not make the @google/genai SDK throw: the error event reaches it as one more chunk without text', async () => {
    fake.inject({ kind: 'errorMidStream', provider: 'gemini', error: 'overloaded' });
    const client = new GoogleGenAI({ apiKey: KEYS.gemini, httpOptions: { baseUrl: fake.urlFor('gemini') } });
    const texts: Array<string | undefined> = [];

    for await (const chunk of await client.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })) {
      texts.push(chunk.text);
    }

    expect(texts).toEqual([...CHUNKS.slice(0, 2), undefined]);
  });

  it('refuses an errorMidStream without a known error kind, as JSON settings could send', () => {
    const [spec] = optionsFromEnvironment({ FAKE_UPSTREAM_FAILURES: '[{"kind":"errorMidStream","error":"explode"}]' }).failures;

    expect(() => fake.inject(spec)).toThrow(/errorMidStream "error" must be one of auth, rate_limited, overloaded, bad_request/);
  });
});
