import { API_ROUTES, CHAT_LIMITS } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from './support/chat-clients';

const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const messages = [{ role: 'user' as const, content: 'hi' }];

describe('chat limits', () => {
  let fake: FakeUpstream;
  let api: ApiInstance;
  let client: BrowserClient;
  let socket: ChatSocket;

  beforeAll(async () => {
    fake = new FakeUpstream({ chunkDelayMs: 40, chunkCount: 10 });
    await fake.start();
    api = await ApiInstance.start({
      OPENAI_BASE_URL: fake.urlFor('openai'),
      CHAT_MAX_STREAMS: '2',
      CHAT_RATE_LIMIT: '5',
      REQUEST_BODY_LIMIT: '65536',
    });
    client = new BrowserClient(api.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
  });

  beforeEach(async () => {
    socket = await connectChat(client);
  });

  afterEach(() => {
    socket.disconnect();
  });

  afterAll(async () => {
    await api?.close();
    await fake?.stop();
  });

  it('refuses a stream beyond the concurrent limit of the session and serves the others', async () => {
    const results = await Promise.all(
      ['m1', 'm2', 'm3'].map((id) => streamOverSocket(socket, { id, provider: 'openai', model: 'gpt-4o-mini', messages })),
    );
    expect(results.map((result) => result.error?.code ?? 'done')).toEqual(['done', 'done', 'too_many_streams']);
  });

  it('refuses a second stream with an id that is already running', async () => {
    const refusal = new Promise((resolve) => socket.once('chat:error', resolve));
    const done = new Promise((resolve) => socket.once('chat:done', resolve));
    socket.emit('chat:start', { id: 'same', provider: 'openai', model: 'gpt-4o-mini', messages });
    socket.emit('chat:start', { id: 'same', provider: 'openai', model: 'gpt-4o-mini', messages });
    expect(await refusal).toMatchObject({ id: 'same', code: 'bad_request', message: expect.stringMatching(/already running/) });
    // The running stream is not disturbed by the refused duplicate.
    expect(await done).toMatchObject({ id: 'same', credentialSource: 'session' });
  });

  it('refuses an oversized SSE request body with 413 and an over-long message with 400', async () => {
    const huge = await streamOverSse(client, {
      id: 'big',
      provider: 'openai',
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(70_000) }],
    });
    expect(huge.status).toBe(413);
    const long = await streamOverSse(client, {
      id: 'long',
      provider: 'openai',
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(CHAT_LIMITS.maxMessageChars + 1) }],
    });
    expect(long.status).toBe(400);
    expect(long.events[0].data).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/messages\.0\.content/) });
  });
});
