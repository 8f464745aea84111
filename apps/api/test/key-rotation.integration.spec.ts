import { API_ROUTES, type ProviderKeysResponse } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { connectChat, streamOverSocket } from './support/chat-clients';
import { TestRedisServer } from './support/redis-server';

const OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const OLD_SECRET = 'old-keystore-secret-0123456789abcdefghijkl';
const NEW_SECRET = 'new-keystore-secret-abcdefghijkl0123456789';

describe('rotating KEYSTORE_SECRETS', () => {
  let redis: TestRedisServer;
  let fake: FakeUpstream;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream();
    await fake.start();
  });

  afterAll(async () => {
    await fake?.stop();
    await redis?.destroy();
  });

  const start = (secrets: string) =>
    ApiInstance.start({ REDIS_URL: redis.url, KEYSTORE_SECRETS: secrets, OPENAI_BASE_URL: fake.urlFor('openai') });

  it('keeps keys sealed with the old secret usable once a new one is put first, and loses them when it is removed', async () => {
    const before = await start(OLD_SECRET);
    const client = new BrowserClient(before.url);
    await client.prime();
    expect((await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY })).status).toBe(200);
    await before.close();

    const rotated = await start(`${NEW_SECRET},${OLD_SECRET}`);
    client.baseUrl = rotated.url;
    const socket = await connectChat(client);
    const result = await streamOverSocket(socket, { id: 'rot', provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    socket.disconnect();
    expect(result.done?.credentialSource).toBe('session');
    expect(fake.lastRequest('openai')?.key).toBe(OPENAI_KEY);
    await rotated.close();

    const oldRemoved = await start(NEW_SECRET);
    client.baseUrl = oldRemoved.url;
    const orphan = await connectChat(client);
    const failed = await streamOverSocket(orphan, { id: 'gone', provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    orphan.disconnect();
    expect(failed.error?.code).toBe('no_key');
    // The listing agrees: a key no secret can open is no key at all.
    const listed = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(listed.body.providers.find((provider) => provider.id === 'openai')).toMatchObject({ source: 'none', masked: null });
    await oldRemoved.close();
  });

  it('seals each key once: a key set after rotation uses the newest secret, the earlier one keeps its envelope and still opens', async () => {
    const rotated = await start(`${NEW_SECRET},${OLD_SECRET}`);
    const old = await start(OLD_SECRET);
    const client = new BrowserClient(old.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'openai', apiKey: OPENAI_KEY });
    const before = await keyringEnvelopes(client);
    client.baseUrl = rotated.url;
    await client.post(API_ROUTES.setProviderKey, { provider: 'gemini', apiKey: DEFAULT_KEYS.gemini?.[0] ?? '' });
    const listed = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
    expect(listed.body.providers.filter((provider) => provider.source === 'session').map((provider) => provider.id)).toEqual([
      'openai',
      'gemini',
    ]);
    const after = await keyringEnvelopes(client);
    expect(after.get('openai')).toBe(before.get('openai'));
    const idOf = (envelope: string | undefined): string | undefined => envelope?.split(':')[1];
    expect(idOf(after.get('gemini'))).toBeDefined();
    expect(idOf(after.get('gemini'))).not.toBe(idOf(after.get('openai')));
    await rotated.close();
    await old.close();
  });

  /** The envelopes in the client's keyring in Redis, by provider. */
  async function keyringEnvelopes(client: BrowserClient): Promise<Map<string, string>> {
    const signed = client.cookies.get('byok.sid') ?? '';
    const values = await redis.dump();
    const session = JSON.parse(values.get(`byok:sess:${signed.slice(2, signed.lastIndexOf('.'))}`) ?? '{}') as { keyringId?: string };
    const fields = JSON.parse(values.get(`byok:keyring:{${session.keyringId}}`) ?? '{}') as Record<string, string>;
    return new Map(Object.entries(fields).map(([provider, field]) => [provider, (JSON.parse(field) as { sealed: string }).sealed]));
  }

  it('falls back to the env key under user-first when the user key can no longer be opened', async () => {
    const envKey = 'sk-ant-test-company-key-0123456789abcd';
    fake.setKeys('anthropic', [DEFAULT_KEYS.anthropic?.[0] ?? '', envKey]);
    const env = { KEY_POLICY_ANTHROPIC: 'user-first', ANTHROPIC_API_KEY: envKey, ANTHROPIC_BASE_URL: fake.urlFor('anthropic') };
    const before = await ApiInstance.start({ REDIS_URL: redis.url, KEYSTORE_SECRETS: OLD_SECRET, ...env });
    const client = new BrowserClient(before.url);
    await client.prime();
    await client.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: DEFAULT_KEYS.anthropic?.[0] ?? '' });
    await before.close();
    const after = await ApiInstance.start({ REDIS_URL: redis.url, KEYSTORE_SECRETS: NEW_SECRET, ...env });
    client.baseUrl = after.url;
    const socket = await connectChat(client);
    const result = await streamOverSocket(socket, { id: 'fallback', provider: 'anthropic', model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] });
    socket.disconnect();
    await after.close();
    expect(result.done?.credentialSource).toBe('env');
    expect(fake.lastRequest('anthropic')?.key).toBe(envKey);
  });
});
