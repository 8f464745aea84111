import { API_ROUTES, type ApiErrorBody, type ProviderKeysResponse } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { ApiInstance } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { streamOverSse } from './support/chat-clients';
import { TestSentinelDeployment, until } from './support/redis-topologies';

const ENV_OPENAI_KEY = DEFAULT_KEYS.openai?.[0] ?? '';
const messages = [{ role: 'user' as const, content: 'Say hello' }];

/** A made-up user key per browser, so each acknowledged set can be found again by its mask. */
const keyOf = (index: number): string => `sk-ant-test-sentinel-${String(index).padStart(4, '0')}-abcdef012345`;

describe('Redis Sentinel: a primary, a replica and three sentinels', () => {
  let redis: TestSentinelDeployment;
  let fake: FakeUpstream;
  let apis: ApiInstance[];

  beforeAll(async () => {
    redis = await TestSentinelDeployment.start();
    fake = new FakeUpstream();
    await fake.start();
    const env = {
      ...redis.settings,
      KEY_RATE_LIMIT: '100000',
      CHAT_RATE_LIMIT: '100000',
      OPENAI_API_KEY: ENV_OPENAI_KEY,
      OPENAI_BASE_URL: fake.urlFor('openai'),
      ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
    };
    apis = [await ApiInstance.start(env), await ApiInstance.start(env)];
  });

  // Two API instances, five Redis processes and the fake to close, on a busy machine.
  afterAll(async () => {
    await Promise.all((apis ?? []).map((api) => api.close()));
    await fake?.stop();
    await redis?.destroy();
  }, 90_000);

  /**
   * A new browser loads the app and sets its key through one instance; the outcome is the HTTP
   * status of whichever step did not succeed (the page load, while the store is away), else the set's.
   */
  async function setThrough(api: ApiInstance, index: number): Promise<{ client: BrowserClient; status: number; code?: string }> {
    const client = new BrowserClient(api.url);
    const page = await client.get<ApiErrorBody>(API_ROUTES.providerKeys);
    if (page.status !== 200) return { client, status: page.status, code: `${page.body.code} (loading)` };
    const response = await client.post<ApiErrorBody>(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: keyOf(index) });
    return { client, status: response.status, code: response.body.code };
  }

  it('keeps every key whose set was acknowledged through a SIGKILL of the primary and its failover, without an API restart', async () => {
    const originalPrimary = await redis.agreedPrimaryPort();
    expect(originalPrimary).toBe(redis.primary.port);
    const acknowledged: Array<{ index: number; client: BrowserClient }> = [];
    const outcomes = new Map<string, number>();
    const record = (outcome: string): void => void outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    let index = 0;
    const setOne = async (): Promise<void> => {
      const mine = index++;
      const result = await setThrough(apis[mine % 2], mine).catch(() => null);
      if (!result) return record('no answer');
      record(`${result.status}${result.code ? ` ${result.code}` : ''}`);
      if (result.status === 200) acknowledged.push({ index: mine, client: result.client });
    };
    const streamOne = async (): Promise<void> => {
      const client = new BrowserClient(apis[index % 2].url);
      const page = await client.get(API_ROUTES.providerKeys).catch(() => null);
      if (page?.status !== 200) return record(`stream page ${page?.status ?? 'no answer'}`);
      const result = await streamOverSse(client, { id: `s${index}`, provider: 'openai', model: 'gpt-4o-mini', messages }).catch(() => null);
      const last = result?.events.at(-1);
      record(`stream ${last?.event === 'error' || last?.event === 'http' ? (last.data as { code?: string }).code : last?.event}`);
    };

    // Before: every set is confirmed by the replica and acknowledged.
    for (let round = 0; round < 10; round += 1) await setOne();
    expect(acknowledged).toHaveLength(10);

    // During: sets and streams keep coming while the primary dies and a sentinel promotes the replica.
    let failedOver = false;
    const traffic = (async () => {
      while (!failedOver) await Promise.all([setOne(), setOne(), streamOne()]);
    })();
    await redis.primary.stop('SIGKILL');
    const newPrimary = await redis.agreedPrimaryPort().then(() =>
      until('a new primary', async () => {
        const port = await redis.agreedPrimaryPort();
        return port !== originalPrimary ? port : null;
      }),
    );
    expect(newPrimary).toBe(redis.replica.port);
    // The old primary comes back and the sentinels make it the new primary's replica: WAIT can be answered again.
    await redis.primary.restart();
    await until('a key set acknowledged again through both instances', async () => {
      const results = await Promise.all(apis.map((api, which) => setThrough(api, 10_000 + which)));
      return results.every((result) => result.status === 200) ? results : null;
    }, 30_000);
    failedOver = true;
    await traffic;

    // Nothing but a save or a clear refusal was ever answered.
    for (const outcome of outcomes.keys()) {
      expect([
        '200',
        '503 store_unavailable',
        '503 store_unavailable (loading)',
        'stream done',
        'stream store_unavailable',
        'stream page 503',
      ]).toContain(outcome);
    }
    // After: every acknowledged key is there, read through either instance.
    for (const { index: which, client } of acknowledged) {
      for (const api of apis) {
        client.baseUrl = api.url;
        const keys = await client.get<ProviderKeysResponse>(API_ROUTES.providerKeys);
        const anthropic = keys.body.providers.find((provider) => provider.id === 'anthropic');
        expect({ which, masked: anthropic?.masked }).toEqual({ which, masked: `sk-ant-…${keyOf(which).slice(-4)}` });
      }
    }
    // And chat works again through both instances.
    for (const api of apis) {
      const fresh = new BrowserClient(api.url);
      await fresh.prime();
      const chat = await streamOverSse(fresh, { id: 'after', provider: 'openai', model: 'gpt-4o-mini', messages });
      expect(chat.events.at(-1)).toMatchObject({ event: 'done' });
    }
    expect(outcomes.get('200')).toBeGreaterThan(10);
  }, 90_000);

  it('refuses a set with 503 when no replica confirms it, rather than claiming a save a failover could lose', async () => {
    await redis.agreedPrimaryPort();
    // Whichever node is the replica now goes away; the primary alone cannot satisfy WAIT 1.
    const primaryPort = await redis.agreedPrimaryPort();
    const replica = primaryPort === redis.primary.port ? redis.replica : redis.primary;
    await replica.stop('SIGKILL');
    try {
      const refused = await setThrough(apis[0], 30_000);
      expect({ status: refused.status, code: refused.code }).toEqual({ status: 503, code: 'store_unavailable' });
    } finally {
      await replica.restart();
    }
    await until('sets acknowledged once the replica is back', async () => ((await setThrough(apis[1], 30_001)).status === 200 ? true : null), 30_000);
  }, 60_000);
});
