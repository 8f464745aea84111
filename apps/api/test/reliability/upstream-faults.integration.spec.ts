import { API_ROUTES, type ChatErrorCode, type ChatErrorEvent } from '@byok/contracts';
import { DEFAULT_KEYS, type FailureSpec, FakeUpstream } from '@byok/fake-upstream';
import { ApiInstance } from '../support/api-instance';
import { BrowserClient } from '../support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from '../support/chat-clients';
import { TestRedisServer } from '../support/redis-server';
import { providerUrls, upstreamSettled, watchProcessFailures } from './reliability-helpers';

const PROVIDERS = [
  { provider: 'openai', model: 'gpt-4o-mini', apiKey: DEFAULT_KEYS.openai?.[0] ?? '' },
  { provider: 'anthropic', model: 'claude-haiku-4-5', apiKey: DEFAULT_KEYS.anthropic?.[0] ?? '' },
  { provider: 'gemini', model: 'gemini-2.5-flash', apiKey: DEFAULT_KEYS.gemini?.[0] ?? '' },
];
const messages = [{ role: 'user' as const, content: 'Tell me something' }];

/** Time a faulty stream may take to end, beyond the fault's own timeout: nothing hangs. */
const END_WITHIN_MS = 5000;

interface Outcome {
  transport: 'socket' | 'sse';
  provider: string;
  deltas: number;
  error?: ChatErrorEvent;
  done: boolean;
  ms: number;
}

/**
 * Every fault the fake upstream can inject, on every provider, over both transports at once:
 * each must end its stream with the right code, and leave no upstream stream or connection open.
 */
describe('upstream faults', () => {
  let redis: TestRedisServer;
  let fake: FakeUpstream;
  const apis: ApiInstance[] = [];
  const failures = watchProcessFailures();
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream({ chunkCount: 10 });
    await fake.start();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    fake.clearFailures();
    while (apis.length > 0) await apis.pop()?.close();
  });

  afterAll(async () => {
    await fake?.stop();
    await redis?.destroy();
    failures.stop();
  });

  async function apiWith(env: Record<string, string> = {}): Promise<ApiInstance> {
    const api = await ApiInstance.start({ REDIS_URL: redis.url, KEY_RATE_LIMIT: '1000', CHAT_RATE_LIMIT: '1000', ...providerUrls(fake), ...env });
    apis.push(api);
    return api;
  }

  /** One user with a key for every provider streams from each of them over a socket and over SSE, concurrently. */
  async function streamEverywhere(api: ApiInstance): Promise<Outcome[]> {
    const client = new BrowserClient(api.url);
    await client.prime();
    for (const { provider, apiKey } of PROVIDERS) {
      expect((await client.post(API_ROUTES.setProviderKey, { provider, apiKey })).status).toBe(200);
    }
    const socket = await connectChat(client);
    sockets.push(socket);
    fake.clearRequests();
    const started = Date.now();
    return Promise.all(
      PROVIDERS.flatMap(({ provider, model }) => [
        streamOverSocket(socket, { id: `s-${provider}`, provider, model, messages }, END_WITHIN_MS).then(
          (result): Outcome => ({ transport: 'socket', provider, deltas: result.deltas.length, error: result.error, done: result.done !== undefined, ms: Date.now() - started }),
        ),
        streamOverSse(client, { id: `e-${provider}`, provider, model, messages }).then((result): Outcome => {
          const last = result.events.at(-1);
          return {
            transport: 'sse',
            provider,
            deltas: result.events.filter((event) => event.event === 'delta').length,
            error: last?.event === 'error' ? (last.data as ChatErrorEvent) : undefined,
            done: last?.event === 'done',
            ms: Date.now() - started,
          };
        }),
      ]),
    );
  }

  function expectEveryStreamFailed(outcomes: Outcome[], code: ChatErrorCode, message: RegExp): void {
    expect(outcomes).toHaveLength(6);
    for (const outcome of outcomes) {
      expect({ ...outcome, ms: undefined }).toMatchObject({ done: false, error: { code, message: expect.stringMatching(message) } });
      expect(outcome.ms).toBeLessThan(END_WITHIN_MS);
    }
  }

  function inject(spec: FailureSpec): void {
    for (const { provider } of PROVIDERS) fake.inject({ ...spec, provider });
  }

  it('maps a 429 to rate_limited with the wait, and leaks no upstream connection', async () => {
    const api = await apiWith();
    inject({ kind: 'status429', retryAfterSeconds: 3 });
    const outcomes = await streamEverywhere(api);
    expectEveryStreamFailed(outcomes, 'rate_limited', /rate-limiting this key/);
    for (const outcome of outcomes.filter((each) => each.provider !== 'gemini')) expect(outcome.error?.retryAfter).toBe(3);
    expect(fake.requests.filter((request) => request.endpoint === 'chat')).toHaveLength(6);
    await upstreamSettled(fake, 8000);
    expect(failures.seen()).toEqual([]);
  });

  it('maps a 500 to upstream_error without retrying, and leaks no upstream connection', async () => {
    const api = await apiWith();
    inject({ kind: 'status500' });
    const outcomes = await streamEverywhere(api);
    expectEveryStreamFailed(outcomes, 'upstream_error', /failed while answering \(HTTP 500\)/);
    expect(fake.requests.filter((request) => request.endpoint === 'chat')).toHaveLength(6);
    await upstreamSettled(fake, 8000);
    expect(failures.seen()).toEqual([]);
  });

  it('maps a connection dropped mid-stream to upstream_error after the chunks that came, and leaks nothing', async () => {
    const api = await apiWith();
    inject({ kind: 'dropMidStream', afterChunks: 3 });
    const outcomes = await streamEverywhere(api);
    expectEveryStreamFailed(outcomes, 'upstream_error', /failed while answering/);
    for (const outcome of outcomes) expect(outcome.deltas).toBe(3);
    expect(fake.requests.every((request) => request.endpoint !== 'chat' || request.outcome === 'dropped')).toBe(true);
    await upstreamSettled(fake, 8000);
    expect(failures.seen()).toEqual([]);
  });

  it('maps no first token within CHAT_FIRST_TOKEN_TIMEOUT to timeout and closes the hanging upstream request', async () => {
    const api = await apiWith({ CHAT_FIRST_TOKEN_TIMEOUT: '500ms' });
    inject({ kind: 'neverAnswer' });
    const outcomes = await streamEverywhere(api);
    expectEveryStreamFailed(outcomes, 'timeout', /stopped answering/);
    for (const outcome of outcomes) {
      expect(outcome.deltas).toBe(0);
      expect(outcome.ms).toBeGreaterThanOrEqual(450);
    }
    await upstreamSettled(fake, 8000);
    const chat = fake.requests.filter((request) => request.endpoint === 'chat');
    expect(chat).toHaveLength(6);
    expect(chat.map((request) => [request.outcome, request.status])).toEqual(Array(6).fill(['closed-by-client', null]));
    expect(failures.seen()).toEqual([]);
  });

  it('maps a trickle slower than CHAT_IDLE_TIMEOUT between tokens to timeout and closes the upstream stream', async () => {
    const api = await apiWith({ CHAT_FIRST_TOKEN_TIMEOUT: '5s', CHAT_IDLE_TIMEOUT: '300ms' });
    // 64-byte slices every 150 ms: each event takes longer than 300 ms to complete after the last.
    inject({ kind: 'slowTrickle', fragmentBytes: 64, intervalMs: 150 });
    const outcomes = await streamEverywhere(api);
    expectEveryStreamFailed(outcomes, 'timeout', /stopped answering/);
    // The first token came (within the first-token limit): it was the gap after it that timed out.
    for (const outcome of outcomes) expect(outcome.deltas).toBeGreaterThanOrEqual(1);
    await upstreamSettled(fake, 8000);
    const chat = fake.requests.filter((request) => request.endpoint === 'chat');
    expect(chat.map((request) => request.outcome)).toEqual(Array(6).fill('closed-by-client'));
    for (const request of chat) expect(request.chunksSent).toBeLessThan(10);
    expect(failures.seen()).toEqual([]);
  });
});
