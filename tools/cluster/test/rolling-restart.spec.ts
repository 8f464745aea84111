import { randomBytes } from 'node:crypto';
import type { ChatStartRequest } from '@byok/contracts';
import { FakeUpstream } from '@byok/fake-upstream';
import { type Cluster, startCluster } from '../src';
import { ChatUser, type StreamOutcome } from './support/chat-user';

const USERS = 100;
const DRAIN_TIMEOUT_MS = 1000;
/** SSE streams, over OpenAI: 2 s, so those on the first instance restarted outlast its drain. */
const SHORT = { chunkCount: 20, chunkDelayMs: 100 };
/** Socket streams, over Anthropic: 7 s, still running when the second instance restarts. */
const LONG = { chunkCount: 35, chunkDelayMs: 200 };

interface User {
  chat: ChatUser;
  provider: 'openai' | 'anthropic';
  transport: 'sse' | 'socket';
  /** The version of the key whose set was last acknowledged; its masked form ends with it. */
  keyVersion: number;
}

/** Keys the fakes accept (test prefixes) whose last four characters name the version, as the masked form shows them. */
function keyFor(user: number, provider: User['provider'], version: number): string {
  const prefix = provider === 'openai' ? 'sk-test-roll' : 'sk-ant-test-roll';
  return `${prefix}-${user}-${randomBytes(6).toString('hex')}-${String(version).padStart(4, '0')}`;
}

/**
 * The rolling restart of the issue, on the compose topology (tools/cluster): nginx in front of two
 * API instances on one Redis, 100 paced streams running, one instance restarted and then the
 * other once the first is back. Each instance has its own fakes, so which fake answered tells
 * which instance served a stream. Sockets are sticky (ip_hash) and all land on one instance;
 * SSE streams are spread over both. The instance without the sockets goes first, so each restart
 * drains streams of one transport, and no stream can be drained twice.
 */
describe('a rolling restart of two instances behind nginx', () => {
  const short = [0, 1].map(() => new FakeUpstream({ acceptTestKeys: true, ...SHORT }));
  const long = [0, 1].map(() => new FakeUpstream({ acceptTestKeys: true, ...LONG }));
  let cluster: Cluster;
  let base: string;

  beforeAll(async () => {
    await Promise.all([...short, ...long].map((fake) => fake.start()));
    cluster = await startCluster({
      // Nothing from the developer's shell (such as a real OPENAI_API_KEY) leaks into the instances.
      baseEnv: { PATH: process.env['PATH'] },
      apiEnv: {
        LOG_LEVEL: 'info',
        DRAIN_TIMEOUT: `${DRAIN_TIMEOUT_MS}ms`,
        // Every user comes from 127.0.0.1.
        KEY_RATE_LIMIT: '100000',
        CHAT_RATE_LIMIT: '1000000',
        SOCKET_MAX_PER_IP: '10000',
      },
      instanceEnv: (index) => ({ OPENAI_BASE_URL: short[index].urlFor('openai'), ANTHROPIC_BASE_URL: long[index].urlFor('anthropic') }),
    });
    base = `https://127.0.0.1:${cluster.httpsPort}`;
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([...short, ...long].map((fake) => fake.stop()));
  }, 30_000);

  /** The index of the instance whose fakes answered `provider` chat requests, one entry per request. */
  const servedBy = (provider: User['provider']): number[] =>
    [0, 1].flatMap((index) =>
      (provider === 'openai' ? short : long)[index]
        .requestsFor(provider)
        .filter((record) => record.endpoint === 'chat')
        .map(() => index),
    );

  it('ends every stream done, the drained ones after one retry, and loses no key set', async () => {
    const users: User[] = await Promise.all(
      Array.from({ length: USERS }, async (_, index): Promise<User> => {
        const chat = new ChatUser(base, cluster.ca);
        const sse = index % 2 === 0;
        const user: User = { chat, provider: sse ? 'openai' : 'anthropic', transport: sse ? 'sse' : 'socket', keyVersion: 1 };
        expect((await chat.send('/api/providers/keys')).status).toBe(200);
        expect(await chat.setKey(user.provider, keyFor(index, user.provider, 1))).toBe(200);
        return user;
      }),
    );

    const started: Promise<void>[] = [];
    const outcomes = users.map((user, index) => {
      let onStarted = (): void => undefined;
      started.push(new Promise((resolve) => (onStarted = resolve)));
      const request: ChatStartRequest = {
        id: `roll-${index}`,
        provider: user.provider,
        model: user.provider === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5',
        messages: [{ role: 'user', content: `Question ${index}` }],
      };
      return user.transport === 'sse' ? user.chat.streamSse(request, onStarted) : user.chat.streamSocket(request, onStarted);
    });
    await Promise.all(started);

    const socketsOn = new Set(servedBy('anthropic'));
    expect(socketsOn.size).toBe(1);
    const second = [...socketsOn][0];
    const first = 1 - second;
    // Both instances serve SSE streams, so the first restart has some to drain.
    expect(new Set(servedBy('openai'))).toEqual(new Set([0, 1]));

    // Key sets go on through both restarts, each answered before the next of its worker.
    let restarting = true;
    const setsFailed: string[] = [];
    let setsAcknowledged = 0;
    const setters = Array.from({ length: 4 }, async (_, worker) => {
      for (let turn = worker; restarting; turn += 4) {
        const index = turn % USERS;
        const user = users[index];
        const version = user.keyVersion + 1;
        const status = await user.chat.setKey(user.provider, keyFor(index, user.provider, version)).catch((error: Error) => error.message);
        if (status === 200) {
          user.keyVersion = version;
          setsAcknowledged += 1;
        } else {
          setsFailed.push(`user ${index}: ${status}`);
        }
      }
    });

    const firstRestart = await cluster.restartInstance(first);
    expect(firstRestart.exit).toEqual({ code: 0, signal: null });
    // The SSE streams drained by the first restart are retried on the second instance; they end
    // there before it restarts in turn, so no stream is drained twice.
    const sseDone = Promise.all(outcomes.filter((_, index) => users[index].transport === 'sse'));
    await sseDone;
    const secondRestart = await cluster.restartInstance(second);
    expect(secondRestart.exit).toEqual({ code: 0, signal: null });
    restarting = false;
    await Promise.all(setters);

    const results: StreamOutcome[] = await Promise.all(outcomes);
    const summary = (transport: StreamOutcome['transport']): string[] =>
      results
        .filter((outcome) => outcome.transport === transport)
        .map((outcome) => outcome.attempts.map((attempt) => (attempt.ending === 'error' ? attempt.code : attempt.ending)).join(' → '));
    const counts = (list: string[]): Record<string, number> =>
      list.reduce<Record<string, number>>((tally, entry) => ({ ...tally, [entry]: (tally[entry] ?? 0) + 1 }), {});
    // Each stream completed at once, or was drained and completed on its one retry; nothing else.
    expect(Object.keys(counts([...summary('sse'), ...summary('socket')])).sort()).toEqual(['done', 'server_draining → done']);
    // Both restarts drained streams: SSE streams on the first, every socket stream on the second.
    expect(counts(summary('sse'))['server_draining → done']).toBeGreaterThan(0);
    expect(counts(summary('socket'))).toEqual({ 'server_draining → done': USERS / 2 });
    for (const outcome of results) {
      const answer = outcome.attempts.at(-1)?.text;
      expect(answer).toBe((outcome.transport === 'sse' ? short : long)[0].expectedText());
    }

    expect(setsFailed).toEqual([]);
    expect(setsAcknowledged).toBeGreaterThan(USERS);
    const lost = (
      await Promise.all(
        users.map(async (user, index) => {
          const status = await user.chat.keyStatus(user.provider);
          const expected = String(user.keyVersion).padStart(4, '0');
          return status?.source === 'session' && status.masked?.endsWith(expected) ? [] : [`user ${index}: ${JSON.stringify(status)}, expected …${expected}`];
        }),
      )
    ).flat();
    expect(lost).toEqual([]);
  }, 90_000);
});
