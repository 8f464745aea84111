import {
  API_ERROR_CODES,
  API_ROUTES,
  type ApiErrorBody,
  CHAT_ERROR_CODES,
  CHAT_NAMESPACE,
  type ChatErrorEvent,
  type ProviderKeysResponse,
} from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import * as fc from 'fast-check';
import Redis from 'ioredis';
import { streamIdOf } from '../../src/chat/socket/chat.gateway';
import { ApiInstance } from '../support/api-instance';
import { BrowserClient, type ClientResponse } from '../support/browser-client';
import { type ChatSocket, connectChat } from '../support/chat-clients';
import { rawRequest } from '../support/raw-http';
import { closeClient, TestRedisServer } from '../support/redis-server';
import {
  anyValue,
  chatStartBody,
  chatStartObject,
  clearBody,
  CONTENT_TYPES,
  deepObject,
  forwardingHeaders,
  hostHeader,
  isLoopbackHost,
  isValidCancel,
  malformedJson,
  oversized,
  pollutingJson,
  setBody,
  validateBody,
  wrongTopLevel,
} from './fuzz-payloads';
import { providerUrls, watchProcessFailures } from './reliability-helpers';

const KNOWN_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const RUNS = 120;
/** Fixed, so a failure reproduces; fast-check prints the seed and path of a counterexample too. */
const SEED = 20_261_125;
const POST_ROUTES = [API_ROUTES.setProviderKey, API_ROUTES.validateProviderKey, API_ROUTES.clearProviderKey, API_ROUTES.chatStream];
const UNEXPECTED = /failed unexpectedly|Something went wrong/;

interface StoreState {
  masked: string | null;
  /** The session's keyring, exactly as Redis holds it: one sealed entry per provider. */
  envelopes: string;
}

describe('fuzzing every endpoint and socket event', () => {
  let redis: TestRedisServer;
  let inspector: Redis;
  let fake: FakeUpstream;
  let api: ApiInstance;
  let owner: BrowserClient;
  let baseline: StoreState;
  let validMutations = 0;
  const failures = watchProcessFailures();

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    inspector = new Redis(redis.url);
    fake = new FakeUpstream({ chunkCount: 3 });
    await fake.start();
    api = await ApiInstance.start({
      REDIS_URL: redis.url,
      KEY_RATE_LIMIT: '100000',
      CHAT_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'info',
      ...providerUrls(fake),
    });
    owner = new BrowserClient(api.url);
    await owner.prime();
    await restoreKnownKey();
  });

  afterAll(async () => {
    if (inspector) await closeClient(inspector);
    await api?.close();
    await fake?.stop();
    await redis?.destroy();
    failures.stop();
  });

  async function storeState(): Promise<StoreState> {
    const listed = await owner.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    const signed = owner.cookies.get('byok.sid') ?? '';
    const sid = signed.slice(2, signed.lastIndexOf('.'));
    const stored = JSON.parse((await inspector.get(`byok:sess:${sid}`)) ?? '{}') as { keyringId?: string };
    const keyring = stored.keyringId ? await inspector.hgetall(`byok:keyring:{${stored.keyringId}}`) : {};
    return {
      masked: listed.body.providers.find((provider) => provider.id === 'openai')?.masked ?? null,
      envelopes: JSON.stringify(Object.entries(keyring).sort()),
    };
  }

  async function restoreKnownKey(): Promise<void> {
    expect((await owner.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: KNOWN_KEY })).status).toBe(200);
    baseline = await storeState();
    expect(baseline.masked).toBe('sk-…cdef');
    expect(baseline.envelopes).toContain('openai');
  }

  /** A 4xx in the one error format, its message fit to show; never a 5xx. */
  function expectClientError(response: ClientResponse<unknown>, context: string): void {
    const body = response.body as Partial<ApiErrorBody>;
    if (response.status < 400 || response.status >= 500) throw new Error(`${context}: HTTP ${response.status} ${response.text.slice(0, 200)}`);
    expect(body).toEqual({ statusCode: response.status, code: expect.any(String), message: expect.any(String) });
    expect(API_ERROR_CODES).toContain(body.code);
    expect(body.message?.length).toBeGreaterThan(10);
    expect(body.message).not.toMatch(UNEXPECTED);
  }

  /** The key store is as it was, unless the request validly changed it (then the known key is put back). */
  async function expectStoreKept(response: Pick<ClientResponse<unknown>, 'status'>, path: string): Promise<void> {
    const mutating = path === API_ROUTES.setProviderKey || path === API_ROUTES.clearProviderKey;
    if (mutating && response.status === 200) {
      validMutations += 1;
      await restoreKnownKey();
      return;
    }
    expect(await storeState()).toEqual(baseline);
  }

  /** Whatever a POST answers: a 4xx, or a valid request's 2xx (an SSE stream ending in done or error). */
  function expectSoundAnswer(response: ClientResponse<unknown>, path: string): void {
    if (response.status !== 200) {
      expectClientError(response, path);
      return;
    }
    if (path !== API_ROUTES.chatStream) return;
    const blocks = response.text.split('\n\n').filter((block) => block.length > 0);
    const last = blocks.at(-1) ?? '';
    expect(last).toMatch(/^event: (done|error)\n/);
    if (last.startsWith('event: error')) {
      const event = JSON.parse(last.slice(last.indexOf('data: ') + 6)) as ChatErrorEvent;
      expect(CHAT_ERROR_CODES).toContain(event.code);
      expect(event.message).not.toMatch(UNEXPECTED);
    }
  }

  it.each(POST_ROUTES)('answers malformed, non-object, prototype-polluting and oversized bodies on POST %s with a 4xx and keeps the key store', async (path) => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: malformedJson }, { weight: 2, arbitrary: wrongTopLevel }, { weight: 3, arbitrary: pollutingJson }, { weight: 1, arbitrary: oversized }),
        fc.constantFrom(...CONTENT_TYPES),
        async (raw, contentType) => {
          const response = await owner.postRaw(path, raw, { 'content-type': contentType });
          expectClientError(response, `${path} ${contentType}`);
          expect(await storeState()).toEqual(baseline);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it.each([
    [API_ROUTES.setProviderKey, setBody],
    [API_ROUTES.validateProviderKey, validateBody],
    [API_ROUTES.clearProviderKey, clearBody],
    [API_ROUTES.chatStream, chatStartBody],
  ])('answers bodies of the right shape with wrong, missing, unicode or control-character fields on POST %s with a 4xx, or a 2xx when valid; never a 5xx', async (path, bodies) => {
    const validBefore = validMutations;
    await fc.assert(
      fc.asyncProperty(bodies, async (raw) => {
        const response = await owner.postRaw(path, raw);
        expectSoundAnswer(response, path);
        await expectStoreKept(response, path);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // The generators do reach valid requests now and then; the store checks then re-baseline.
    if (path === API_ROUTES.setProviderKey || path === API_ROUTES.clearProviderKey) expect(validMutations).toBeGreaterThan(validBefore);
  });

  it('answers hostile query strings and provider ids on the GET endpoints with a 2xx or 4xx', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constantFrom('__proto__', 'constructor', 'apiKey', 'provider', 'a[b]', '__proto__[polluted]'), text).map(
            ([name, value]) => `${API_ROUTES.providerKeys}?${encodeURIComponent(name).replace('%5B', '[').replace('%5D', ']')}=${encodeURIComponent(value)}`,
          ),
          fc.oneof(text, fc.constantFrom('openai', 'ollama', 'gemini', '__proto__', 'constructor', '..', '%2e%2e', 'x'.repeat(500))).map(
            (id) => API_ROUTES.providerModels.replace(':id', encodeURIComponent(id)),
          ),
        ),
        async (path) => {
          const response = await owner.get(path);
          if (response.status !== 200) expectClientError(response, path);
          expect(await storeState()).toEqual(baseline);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('answers any Host and forwarding headers, on HTTP and the socket handshake, with 421 or a refused handshake unless the Host is an allowed name; never a 5xx', async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(hostHeader, forwardingHeaders, fc.constantFrom('list', 'set', 'handshake'), async (host, forwarding, target) => {
        const headers = { ...forwarding, host, cookie: owner.cookieHeader(), 'x-xsrf-token': owner.cookies.get('XSRF-TOKEN') ?? '' };
        // HTTP parsing trims the spaces and tabs around a header value before anyone reads it.
        const allowed = isLoopbackHost(host.replace(/^[ \t]+|[ \t]+$/g, ''));
        if (!allowed) refused += 1;
        if (target === 'handshake') {
          const handshake = await rawRequest(api.url, '/socket.io/?EIO=4&transport=polling', { headers });
          expect({ host, status: handshake.status }).toEqual({ host, status: allowed ? 200 : 403 });
          return;
        }
        const response =
          target === 'list'
            ? await rawRequest(api.url, API_ROUTES.providerKeys, { headers })
            : await rawRequest(api.url, API_ROUTES.setProviderKey, {
                method: 'POST',
                headers: { ...headers, 'content-type': 'application/json' },
                body: JSON.stringify({ provider: 'openai', apiKey: KNOWN_KEY }),
              });
        if (allowed) {
          expect({ host, status: response.status }).toEqual({ host, status: 200 });
        } else {
          expect({ host, status: response.status, body: JSON.parse(response.text) as unknown }).toEqual({
            host,
            status: 421,
            body: { statusCode: 421, code: 'host_not_allowed', message: expect.stringContaining('ALLOWED_HOSTS') },
          });
          expect(response.headers['set-cookie']).toBeUndefined();
        }
        await expectStoreKept({ status: response.status }, target === 'set' ? API_ROUTES.setProviderKey : API_ROUTES.providerKeys);
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
    // The generators reach both sides of the rule.
    expect(refused).toBeGreaterThan(RUNS / 4);
    expect(refused).toBeLessThan(RUNS * 2 - RUNS / 4);
  });

  describe('socket events', () => {
    let socket: ChatSocket;
    let disconnects = 0;

    beforeAll(async () => {
      socket = await connectChat(owner);
      socket.on('disconnect', () => {
        disconnects += 1;
      });
    });

    afterAll(() => {
      socket?.disconnect();
    });

    /** Resolves with the first terminal event (done or error) for the stream `id`. */
    function terminalEvent(id: string, timeoutMs = 5000): Promise<{ done?: unknown; error?: ChatErrorEvent }> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(() => reject(new Error(`no chat:done or chat:error for "${id}" within ${timeoutMs} ms`))), timeoutMs);
        const onDone = (event: { id: string }): void => {
          if (event.id === id) finish(() => resolve({ done: event }));
        };
        const onError = (event: ChatErrorEvent): void => {
          if (event.id === id) finish(() => resolve({ error: event }));
        };
        function finish(settle: () => void): void {
          clearTimeout(timer);
          socket.off('chat:done', onDone);
          socket.off('chat:error', onError);
          settle();
        }
        socket.on('chat:done', onDone);
        socket.on('chat:error', onError);
      });
    }


    const socketPayloads = fc.oneof(
      { weight: 4, arbitrary: chatStartObject as fc.Arbitrary<unknown> },
      { weight: 2, arbitrary: anyValue },
      { weight: 2, arbitrary: pollutingJson.map((raw) => JSON.parse(raw) as unknown) },
      { weight: 1, arbitrary: malformedJson },
      { weight: 1, arbitrary: deepObject },
    );

    it('answers every hostile chat:start with exactly one chat:error naming the problem, or a finished stream, and keeps the socket open', async () => {
      await fc.assert(
        fc.asyncProperty(socketPayloads, async (payload) => {
          // Past the transport's size limit the connection itself is closed (tested below).
          fc.pre((JSON.stringify(payload) ?? '').length < 200_000);
          const id = streamIdOf(payload);
          const answered = terminalEvent(id);
          socket.emit('chat:start', payload as never);
          const { error } = await answered;
          if (error) {
            expect(CHAT_ERROR_CODES).toContain(error.code);
            expect(error.message.length).toBeGreaterThan(10);
            expect(error.message).not.toMatch(UNEXPECTED);
          }
          expect(socket.connected).toBe(true);
        }),
        { numRuns: RUNS * 2, seed: SEED },
      );
      expect(disconnects).toBe(0);
    });

    it('answers every invalid chat:cancel with a chat:error, ignores valid ones, and keeps the socket open', async () => {
      let sentinel = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.record({ id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), anyValue) }, { requiredKeys: [] }) as fc.Arbitrary<unknown>,
            socketPayloads,
          ),
          async (payload) => {
            fc.pre((JSON.stringify(payload) ?? '').length < 200_000);
            const errors: ChatErrorEvent[] = [];
            const collect = (event: ChatErrorEvent): void => {
              errors.push(event);
            };
            socket.on('chat:error', collect);
            // An invalid cancel sent after it marks the end of this case: its error comes last.
            const marker = `sentinel-${sentinel++}`;
            const marked = terminalEvent(marker);
            socket.emit('chat:cancel', payload as never);
            socket.emit('chat:cancel', { id: marker, extra: true } as never);
            // socket.io keeps the order of one socket's events: the marker's error comes after the case's own.
            await marked;
            socket.off('chat:error', collect);
            const own = errors.filter((event) => event.id !== marker);
            if (isValidCancel(payload)) {
              expect(own).toEqual([]);
            } else {
              expect(own).toHaveLength(1);
              expect(own[0]).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/\w{5,}/) });
            }
            expect(socket.connected).toBe(true);
          },
        ),
        { numRuns: RUNS * 2, seed: SEED },
      );
      expect(disconnects).toBe(0);
    });

    /** A socket.io EVENT packet for the chat namespace, written below socket.io-client (whose encoder recurses). */
    function rawFrame(target: ChatSocket, data: string): void {
      target.io.engine.send(`2${CHAT_NAMESPACE},${data}`);
    }

    it('answers a raw chat:start frame nested 20 000 levels deep with a chat:error, on a connection that stays open', async () => {
      const answered = terminalEvent('');
      rawFrame(socket, `["chat:start",${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}]`);
      expect((await answered).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/nested too deeply/) });
      expect(socket.connected).toBe(true);
    });

    it.each([
      ['cut short', '["chat:start",{"id":'],
      ['nested deeper than the parser goes', `["chat:start",${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}]`],
    ])('closes only the connection that sends a frame socket.io cannot parse (%s), and a new one works', async (_kind, data) => {
      const victim = await connectChat(owner);
      const reason = new Promise<string>((resolve) => {
        victim.once('disconnect', resolve);
        victim.once('chat:error', (event) => resolve(`answered instead: ${event.message}`));
      });
      rawFrame(victim, data);
      // A protocol error has no event to answer in: socket.io drops that transport, as designed.
      expect(await reason).toBe('transport close');
      const fresh = await connectChat(owner);
      expect(fresh.connected).toBe(true);
      fresh.disconnect();
      expect(socket.connected).toBe(true);
    });

    it('closes only the offending connection when a socket message exceeds the size limit, and a new one works', async () => {
      const victim = await connectChat(owner);
      const reason = new Promise<string>((resolve) => victim.once('disconnect', resolve));
      victim.emit('chat:start', { id: 'huge', provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'z'.repeat(300_000) }] });
      // engine.io's answer to a frame over maxHttpBufferSize: close the transport; nothing reaches the gateway.
      expect(await reason).toBe('transport close');
      const fresh = await connectChat(owner);
      const answered = new Promise<ChatErrorEvent>((resolve) => fresh.once('chat:error', resolve));
      fresh.emit('chat:start', { id: 'after-huge' } as never);
      expect(await answered).toMatchObject({ id: 'after-huge', code: 'bad_request' });
      fresh.disconnect();
      expect(socket.connected).toBe(true);
    });
  });

  it('leaves the known key in place, Object.prototype clean, and the API without an unexpected error', async () => {
    const final = await storeState();
    expect(final).toEqual(baseline);
    expect(final.masked).toBe('sk-…cdef');
    const probe: Record<string, unknown> = {};
    expect(probe['polluted']).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(api.logs.text.split('\n').filter((line) => /Unhandled|failed unexpectedly/.test(line))).toEqual([]);
    expect((await owner.get(API_ROUTES.health)).status).toBe(200);
    expect(failures.seen()).toEqual([]);
  });
});
