import { API_ROUTES, type ChatErrorCode, type ChatErrorEvent } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream, type StreamErrorKind } from '@byok/fake-upstream';
import { ApiInstance } from '../support/api-instance';
import { BrowserClient } from '../support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from '../support/chat-clients';
import { TestRedisServer } from '../support/redis-server';
import { providerUrls, upstreamSettled, watchProcessFailures } from './reliability-helpers';

/** Ollama stands for every OpenAI-compatible server: the fake sends it the routers' numeric-code errors. */
const PROVIDERS = [
  { provider: 'openai', name: 'OpenAI', model: 'gpt-4o-mini', apiKey: DEFAULT_KEYS.openai?.[0] ?? '' },
  { provider: 'anthropic', name: 'Anthropic', model: 'claude-haiku-4-5', apiKey: DEFAULT_KEYS.anthropic?.[0] ?? '' },
  { provider: 'gemini', name: 'Google Gemini', model: 'gemini-2.5-flash', apiKey: DEFAULT_KEYS.gemini?.[0] ?? '' },
  { provider: 'ollama', name: 'Ollama', model: 'llama3.2', apiKey: null },
];
const messages = [{ role: 'user' as const, content: 'Tell me something' }];

/** Content chunks the upstream sends before its error; the client must see every one of them. */
const CHUNKS_BEFORE_ERROR = 3;
const END_WITHIN_MS = 5000;

/** What each in-stream error must become for the user, whichever provider sent it. */
const EXPECTED: Record<StreamErrorKind, { code: ChatErrorCode; message: string }> = {
  auth: { code: 'key_rejected', message: 'rejected the API key' },
  rate_limited: { code: 'rate_limited', message: 'is rate-limiting this key' },
  overloaded: { code: 'upstream_error', message: 'failed while answering' },
  bad_request: { code: 'bad_request', message: 'refused the request' },
};

interface Outcome {
  transport: 'socket' | 'sse';
  provider: string;
  deltas: string[];
  error?: ChatErrorEvent;
  done: boolean;
}

/**
 * A provider that fails inside a 200 stream (OpenAI-compatible `data: {"error":…}`, Anthropic
 * `event: error`, Gemini `{"error":…}`) after sending some text: every family, every kind of
 * error, over both transports. Each must end with the code the error means, after the text
 * that came, and leave no upstream stream open.
 */
describe('errors inside an upstream stream', () => {
  let redis: TestRedisServer;
  let fake: FakeUpstream;
  let api: ApiInstance;
  let client: BrowserClient;
  let socket: ChatSocket;
  const failures = watchProcessFailures();

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream({ chunkCount: 8 });
    await fake.start();
    api = await ApiInstance.start({ REDIS_URL: redis.url, KEY_RATE_LIMIT: '1000', CHAT_RATE_LIMIT: '1000', ...providerUrls(fake) });
    client = new BrowserClient(api.url);
    await client.prime();
    for (const { provider, apiKey } of PROVIDERS) {
      if (apiKey !== null) expect((await client.post(API_ROUTES.setProviderKey, { provider, apiKey })).status).toBe(200);
    }
    socket = await connectChat(client);
  });

  afterEach(() => {
    fake.clearFailures();
    fake.clearRequests();
  });

  afterAll(async () => {
    socket?.disconnect();
    await api?.close();
    await fake?.stop();
    await redis?.destroy();
    failures.stop();
  });

  /** Streams from every provider over the socket and over SSE at once, each to its end. */
  function streamEverywhere(kind: StreamErrorKind): Promise<Outcome[]> {
    return Promise.all(
      PROVIDERS.flatMap(({ provider, model }) => [
        streamOverSocket(socket, { id: `s-${kind}-${provider}`, provider, model, messages }, END_WITHIN_MS).then(
          (result): Outcome => ({ transport: 'socket', provider, deltas: result.deltas, error: result.error, done: result.done !== undefined }),
        ),
        streamOverSse(client, { id: `e-${kind}-${provider}`, provider, model, messages }).then((result): Outcome => {
          const last = result.events.at(-1);
          return {
            transport: 'sse',
            provider,
            deltas: result.events.filter((event) => event.event === 'delta').map((event) => (event.data as { text: string }).text),
            error: last?.event === 'error' ? (last.data as ChatErrorEvent) : undefined,
            done: last?.event === 'done',
          };
        }),
      ]),
    );
  }

  it.each(Object.keys(EXPECTED) as StreamErrorKind[])(
    'maps an in-stream %s error to its code and message after the text sent before it, and leaves nothing open',
    async (kind) => {
      for (const { provider } of PROVIDERS) {
        fake.inject({ kind: 'errorMidStream', provider, error: kind, afterChunks: CHUNKS_BEFORE_ERROR });
      }
      const expected = EXPECTED[kind];
      const textBeforeError = fake.expectedChunks().slice(0, CHUNKS_BEFORE_ERROR);

      const outcomes = await streamEverywhere(kind);

      expect(outcomes).toHaveLength(PROVIDERS.length * 2);
      for (const outcome of outcomes) {
        const { name, apiKey } = PROVIDERS.find((each) => each.provider === outcome.provider) ?? PROVIDERS[0];
        // The whole outcome in each assertion, so a failure names the provider and transport.
        expect(outcome).toMatchObject({
          done: false,
          deltas: textBeforeError,
          error: { code: expected.code, message: expect.stringContaining(`${name} ${expected.message}`) },
        });
        expect(outcome).not.toMatchObject({ error: { message: expect.stringMatching(/could not be reached/) } });
        if (apiKey !== null) expect(outcome).not.toMatchObject({ error: { message: expect.stringContaining(apiKey) } });
        expect(outcome).not.toMatchObject({ error: { message: expect.stringMatching(/sk-|AIza/) } });
      }
      const chats = fake.requests.filter((request) => request.endpoint === 'chat');
      expect(chats).toHaveLength(PROVIDERS.length * 2);
      for (const request of chats) {
        expect(request).toMatchObject({ failure: 'errorMidStream', outcome: 'error-mid-stream', chunksSent: CHUNKS_BEFORE_ERROR });
      }
      await upstreamSettled(fake, 8000);
      expect(failures.seen()).toEqual([]);
    },
  );
});
