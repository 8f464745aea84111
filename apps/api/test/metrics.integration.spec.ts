import { API_ROUTES, CHAT_ERROR_CODES, CHAT_TRANSPORTS, KEY_SOURCES } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream } from '@byok/fake-upstream';
import { Fingerprinter } from '../src/crypto/fingerprinter';
import { Secret } from '../src/common/secret';
import { METRIC_NAMES } from '../src/metrics/metric-names';
import { Metrics } from '../src/metrics/metrics';
import { SESSION_COOKIE } from '../src/session/session-middleware.factory';
import { ApiInstance, TEST_SECRETS } from './support/api-instance';
import { BrowserClient } from './support/browser-client';
import { type ChatSocket, connectChat, streamOverSocket, streamOverSse } from './support/chat-clients';
import { leakAudit } from './support/leak-audit';
import { rawRequest } from './support/raw-http';
import { freePort, TestRedisServer } from './support/redis-server';

const ENV_OPENAI_KEY = 'sk-test-env-metrics-key-5e4d3c2b1a0f';
const ANTHROPIC_KEY = DEFAULT_KEYS.anthropic?.[0] ?? '';
const REJECTED_ANTHROPIC_KEY = 'sk-ant-test-rejected-by-upstream-0000';
const METRICS_TOKEN = 'metrics-token-integration-0123456789abcdef';
const WRONG_TOKEN = 'metrics-token-integration-0123456789abcdeX';
const PROXY_ADDRESS = '127.0.0.2';
const PERSON = 'erin';
const PERSON_EMAIL = 'erin@corp.example.test';

const messages = [{ role: 'user' as const, content: 'Say hello' }];

/** One sample of the exposition: its series name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (0.0.4), every line but comments. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const pairs = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    const body = match[2] ?? '';
    let consumed = 0;
    for (let pair = pairs.exec(body); pair; pair = pairs.exec(body)) {
      labels[pair[1]] = pair[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed = pairs.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`unparsed labels: ${line}`);
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** `{a="x",b="y"}` keyed samples of one series whose value is not zero. */
function nonZero(samples: Sample[], name: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.name !== name || sample.value === 0) continue;
    const key = Object.entries(sample.labels)
      .map(([label, value]) => `${label}=${value}`)
      .join(',');
    result[key] = sample.value;
  }
  return result;
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
  );
  return found.reduce((sum, sample) => sum + sample.value, 0);
}

/** The session id and signature in a client's session cookie (`s:<id>.<signature>`); none before something was stored. */
function sessionCookieParts(client: BrowserClient): string[] {
  const cookie = client.cookies.get(SESSION_COOKIE);
  const match = cookie === undefined ? null : /^s:([^.]+)\.(.+)$/.exec(cookie);
  return match ? [match[1], match[2]] : [];
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Prometheus metrics', () => {
  let redis: TestRedisServer;
  let fake: FakeUpstream;
  /** The ENV OpenAI key, METRICS_PORT and METRICS_TOKEN. */
  let api: ApiInstance;
  let metricsPort: number;
  /** Neither metrics setting. */
  let plain: ApiInstance;
  /** Signed-in people (AUTH_MODE=proxy), its own METRICS_PORT. */
  let proxied: ApiInstance;
  let proxiedMetricsPort: number;
  const sockets: ChatSocket[] = [];
  const clients: BrowserClient[] = [];

  const scrapeText = async (port: number): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };
  const scrape = async (port = metricsPort): Promise<Sample[]> => parseExposition(await scrapeText(port));

  async function socketFor(client: BrowserClient): Promise<ChatSocket> {
    const socket = await connectChat(client);
    sockets.push(socket);
    return socket;
  }

  function client(baseUrl: string, options: ConstructorParameters<typeof BrowserClient>[1] = {}): BrowserClient {
    const created = new BrowserClient(baseUrl, options);
    clients.push(created);
    return created;
  }

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    fake = new FakeUpstream({ keys: { openai: [ENV_OPENAI_KEY] } });
    await fake.start();
    leakAudit.registerKey(REJECTED_ANTHROPIC_KEY);
    leakAudit.registerPersonal(PERSON_EMAIL);
    const common = {
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      KEY_RATE_LIMIT: '1000',
      CHAT_RATE_LIMIT: '1000',
      OPENAI_BASE_URL: fake.urlFor('openai'),
      ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
      GEMINI_BASE_URL: fake.urlFor('gemini'),
      OLLAMA_BASE_URL: fake.urlFor('ollama'),
    };
    metricsPort = await freePort();
    api = await ApiInstance.start({ ...common, OPENAI_API_KEY: ENV_OPENAI_KEY, METRICS_PORT: String(metricsPort), METRICS_TOKEN });
    plain = await ApiInstance.start(common);
    proxiedMetricsPort = await freePort();
    proxied = await ApiInstance.start({
      ...common,
      AUTH_MODE: 'proxy',
      TRUST_PROXY: PROXY_ADDRESS,
      AUTH_PROXY_EMAIL_HEADER: 'X-Forwarded-Email',
      METRICS_PORT: String(proxiedMetricsPort),
    });
  });

  afterEach(() => {
    fake.configure({ firstChunkDelayMs: 0, chunkDelayMs: 0, chunkCount: 8 });
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  afterAll(async () => {
    await Promise.all(clients.map((created) => created.close()));
    await api?.close();
    await plain?.close();
    await proxied?.close();
    await fake?.stop();
    await redis?.destroy();
  });

  describe('after a scripted set of streams and key events', () => {
    let samples: Sample[];
    let anonymous: BrowserClient;
    let withKey: BrowserClient;
    let person: BrowserClient;

    beforeAll(async () => {
      // Nothing else runs on `api` before this: the counts below are exactly what this script did.
      anonymous = client(api.url);
      await anonymous.prime();
      const socket = await socketFor(anonymous);
      for (const id of ['env1', 'env2', 'env3']) {
        const result = await streamOverSocket(socket, { id, provider: 'openai', model: 'gpt-4o-mini', messages });
        expect(result.done?.credentialSource).toBe('env');
      }
      const sse = await streamOverSse(anonymous, { id: 'sse1', provider: 'openai', model: 'gpt-4o-mini', messages });
      expect(sse.events.at(-1)).toMatchObject({ event: 'done', data: { credentialSource: 'env' } });
      expect((await streamOverSocket(socket, { id: 'nokey', provider: 'gemini', model: 'gemini-2.5-flash', messages })).error?.code).toBe('no_key');
      expect((await streamOverSocket(socket, { id: 'nope', provider: 'acme', model: 'x', messages })).error?.code).toBe('unknown_provider');

      withKey = client(api.url);
      await withKey.prime();
      expect((await withKey.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: REJECTED_ANTHROPIC_KEY })).status).toBe(200);
      const validation = await withKey.post(API_ROUTES.validateProviderKey, { provider: 'anthropic' });
      expect(validation.body).toMatchObject({ valid: false });
      const rejected = await streamOverSocket(await socketFor(withKey), { id: 'rej', provider: 'anthropic', model: 'claude-haiku-4-5', messages });
      expect(rejected.error?.code).toBe('key_rejected');

      fake.configure({ chunkDelayMs: 50, chunkCount: 40 });
      socket.once('chat:delta', () => socket.emit('chat:cancel', { id: 'cancel1' }));
      socket.emit('chat:start', { id: 'cancel1', provider: 'openai', model: 'gpt-4o-mini', messages });
      await waitFor(
        async () => valueOf(await scrape(), METRIC_NAMES.streamsEnded, { outcome: 'cancelled' }) === 1,
        'the cancelled stream to end',
      );

      // A signed-in person streams on another instance: counted there, not here.
      person = client(proxied.url, { localAddress: PROXY_ADDRESS, headers: { 'X-Forwarded-User': PERSON, 'X-Forwarded-Email': PERSON_EMAIL } });
      await person.prime();
      expect((await person.post(API_ROUTES.setProviderKey, { provider: 'anthropic', apiKey: ANTHROPIC_KEY })).status).toBe(200);
      const personal = await streamOverSocket(await socketFor(person), { id: 'p1', provider: 'anthropic', model: 'claude-haiku-4-5', messages });
      expect(personal.done).toBeDefined();

      samples = await scrape();
    });

    it('counts started streams by provider and transport, after admission only', () => {
      expect(nonZero(samples, METRIC_NAMES.streamsStarted)).toEqual({
        'provider=openai,transport=socket': 4,
        'provider=openai,transport=sse': 1,
        // no_key is found once the stream is admitted; an unknown provider never is.
        'provider=gemini,transport=socket': 1,
        'provider=anthropic,transport=socket': 1,
      });
    });

    it('counts every ended stream by provider, transport, key source and outcome', () => {
      expect(nonZero(samples, METRIC_NAMES.streamsEnded)).toEqual({
        'provider=openai,transport=socket,source=env,outcome=done': 3,
        'provider=openai,transport=sse,source=env,outcome=done': 1,
        'provider=gemini,transport=socket,source=none,outcome=no_key': 1,
        'provider=unknown,transport=socket,source=none,outcome=unknown_provider': 1,
        'provider=anthropic,transport=socket,source=session,outcome=key_rejected': 1,
        'provider=openai,transport=socket,source=env,outcome=cancelled': 1,
      });
    });

    it('holds no stream active once all have ended', () => {
      for (const transport of CHAT_TRANSPORTS) {
        expect(samples.filter((sample) => sample.name === METRIC_NAMES.streamsActive && sample.labels['transport'] === transport)).toEqual([
          { name: METRIC_NAMES.streamsActive, labels: { transport }, value: 0 },
        ]);
      }
    });

    it('observes the time to first token once per stream that produced text', () => {
      const count = `${METRIC_NAMES.timeToFirstToken}_count`;
      expect(nonZero(samples, count)).toEqual({ 'provider=openai,transport=socket': 4, 'provider=openai,transport=sse': 1 });
      const infinite = samples.filter((sample) => sample.name === `${METRIC_NAMES.timeToFirstToken}_bucket` && sample.labels['le'] === '+Inf');
      expect(infinite.reduce((sum, sample) => sum + sample.value, 0)).toBe(5);
      expect(valueOf(samples, `${METRIC_NAMES.timeToFirstToken}_sum`)).toBeGreaterThan(0);
    });

    it('counts key events by kind', () => {
      expect(nonZero(samples, METRIC_NAMES.keyEvents)).toEqual({ 'event=set': 1, 'event=validation_failed': 1 });
      // Every kind is exported from the start, at zero.
      expect(samples.filter((sample) => sample.name === METRIC_NAMES.keyEvents).map((sample) => sample.labels['event']).sort()).toEqual(
        ['cleared', 'refused_by_policy', 'replaced', 'set', 'validated', 'validation_failed'],
      );
    });

    it("keeps each instance's series to its own streams", async () => {
      const other = await scrape(proxiedMetricsPort);
      expect(nonZero(other, METRIC_NAMES.streamsStarted)).toEqual({ 'provider=anthropic,transport=socket': 1 });
      expect(Object.keys(nonZero(other, METRIC_NAMES.streamsEnded))).toEqual([
        expect.stringMatching(/^provider=anthropic,transport=socket,source=(session|user),outcome=done$/),
      ]);
      expect(nonZero(other, METRIC_NAMES.keyEvents)).toEqual({ 'event=set': 1 });
      // …and `api`'s did not count the person's stream (checked above), nor `plain` anything.
      expect(valueOf(parseExposition((await plain.app.get(Metrics).scrape()).body), METRIC_NAMES.streamsEnded)).toBe(0);
    });

    it('exports the process defaults, the event loop lag, Redis counters and the draining flag', () => {
      const names = new Set(samples.map((sample) => sample.name));
      for (const name of ['nodejs_eventloop_lag_p99_seconds', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
        expect(names).toContain(name);
      }
      expect(valueOf(samples, METRIC_NAMES.redisErrors)).toBe(0);
      expect(valueOf(samples, METRIC_NAMES.redisReconnects)).toBe(0);
      expect(valueOf(samples, METRIC_NAMES.draining)).toBe(0);
      for (const name of Object.values(METRIC_NAMES)) {
        expect([...names].some((sample) => sample === name || sample.startsWith(`${name}_`))).toBe(true);
      }
    });

    it('holds only closed-set values in its own labels', () => {
      const allowed: Record<string, ReadonlySet<string>> = {
        provider: new Set(['openai', 'anthropic', 'gemini', 'ollama', 'unknown']),
        transport: new Set(CHAT_TRANSPORTS),
        source: new Set(KEY_SOURCES),
        outcome: new Set(['done', 'cancelled', ...CHAT_ERROR_CODES, 'internal_error']),
        event: new Set(['set', 'replaced', 'cleared', 'validated', 'validation_failed', 'refused_by_policy']),
      };
      for (const sample of samples.filter((candidate) => candidate.name.startsWith('byok_'))) {
        for (const [label, value] of Object.entries(sample.labels)) {
          if (label === 'le') continue;
          expect({ label, value, allowed: allowed[label]?.has(value) ?? false }).toEqual({ label, value, allowed: true });
        }
      }
    });

    it('holds no key, fingerprint, session id, person or address in any label value', async () => {
      const fingerprinter = new Fingerprinter(new Secret(TEST_SECRETS.KEYSTORE_SECRETS));
      const keys = [ENV_OPENAI_KEY, ANTHROPIC_KEY, REJECTED_ANTHROPIC_KEY, METRICS_TOKEN];
      const sessions = [anonymous, withKey, person].flatMap(sessionCookieParts);
      // The two that stored a key have a session; the anonymous streamer may not.
      expect(sessions.length).toBeGreaterThanOrEqual(4);
      // Whatever identifies someone in the audit lines (keyed fingerprints, person and caller refs).
      const auditRefs = [api, proxied].flatMap((instance) =>
        instance.logs
          .lines()
          .map((line) => line['audit'] as Record<string, unknown> | undefined)
          .flatMap((audit) => (audit ? [audit['keyFingerprint'], audit['session'], audit['person'], audit['caller']] : []))
          .filter((value): value is string => typeof value === 'string' && value.length > 0),
      );
      expect(auditRefs.length).toBeGreaterThan(10);
      const forbidden = [
        ...keys,
        ...keys.map((key) => fingerprinter.of(new Secret(key))),
        ...sessions,
        PERSON,
        PERSON_EMAIL,
        '127.0.0.1',
        PROXY_ADDRESS,
        ...auditRefs,
      ];
      for (const exposition of [samples, await scrape(proxiedMetricsPort)]) {
        const values = new Set(exposition.flatMap((sample) => Object.values(sample.labels)));
        expect(values.size).toBeGreaterThan(10);
        const offending = [...values].filter((value) => forbidden.some((secret) => value.includes(secret)));
        expect(offending).toEqual([]);
      }
    });
  });

  describe('the endpoints', () => {
    it('serves GET /metrics on METRICS_PORT whatever the Host, and nothing else there', async () => {
      const scraped = await rawRequest(`http://127.0.0.1:${metricsPort}`, '/metrics', { headers: { Host: 'prometheus.internal:9464' } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(scraped.text).toContain(`# TYPE ${METRIC_NAMES.streamsEnded} counter`);
      expect(scraped.headers['set-cookie']).toBeUndefined();
      for (const [method, path] of [['GET', '/'], ['GET', '/api/health'], ['POST', '/metrics'], ['GET', '/metrics/x']]) {
        const response = await rawRequest(`http://127.0.0.1:${metricsPort}`, path, { method, headers: { Host: '127.0.0.1' } });
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      }
    });

    it('does not route /metrics on the main port without METRICS_TOKEN: the 404 of any unknown path', async () => {
      const unknown = await fetch(`${plain.url}/no-such-path`);
      const metrics = await fetch(`${plain.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(metrics.status).toBe(404);
      expect(await metrics.json()).toEqual(await unknown.json());
      expect(await (await fetch(`${plain.url}/metrics`)).json()).toMatchObject({ statusCode: 404, code: 'not_found' });
    });

    it('answers the main port /metrics only with the bearer token, and a request without it as an unknown path', async () => {
      const unknown = await (await fetch(`${api.url}/no-such-path`)).json();
      for (const authorization of [undefined, `Bearer ${WRONG_TOKEN}`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN, `Bearer ${METRICS_TOKEN.slice(0, -1)}`]) {
        const response = await fetch(`${api.url}/metrics`, { headers: authorization ? { Authorization: authorization } : {} });
        expect({ authorization, status: response.status }).toEqual({ authorization, status: 404 });
        expect(await response.json()).toEqual(unknown);
      }
      const scraped = await fetch(`${api.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      // No session or CSRF cookie: none of the browser-facing middleware ran.
      expect(scraped.headers.getSetCookie()).toEqual([]);
      expect(parseExposition(await scraped.text()).some((sample) => sample.name === METRIC_NAMES.streamsStarted)).toBe(true);
    });

    it('keeps the main port /metrics behind the Host allow-list', async () => {
      const refused = await rawRequest(api.url, '/metrics', { headers: { Host: 'evil.example', Authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(refused.status).toBe(421);
      const allowed = await rawRequest(api.url, '/metrics', { headers: { Host: 'localhost', Authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(allowed.status).toBe(200);
    });

    it('closes METRICS_PORT when the app shuts down', async () => {
      const port = await freePort();
      const instance = await ApiInstance.start({ HOST: '127.0.0.1', METRICS_PORT: String(port) });
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
      await instance.close();
      await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    });
  });

  describe('Redis', () => {
    it('counts the client errors and reconnects while Redis is away', async () => {
      const own = await TestRedisServer.start();
      const port = await freePort();
      const instance = await ApiInstance.start({ HOST: '127.0.0.1', REDIS_URL: own.url, METRICS_PORT: String(port) });
      try {
        const before = await scrape(port);
        expect(valueOf(before, METRIC_NAMES.redisErrors)).toBe(0);
        expect(valueOf(before, METRIC_NAMES.redisReconnects)).toBe(0);
        await own.stop();
        await waitFor(async () => {
          const during = await scrape(port);
          return valueOf(during, METRIC_NAMES.redisErrors) > 0 && valueOf(during, METRIC_NAMES.redisReconnects) > 0;
        }, 'Redis errors and reconnects to be counted');
        await own.restart();
        await waitFor(async () => (await fetch(`${instance.url}${API_ROUTES.ready}`)).status === 200, 'Redis to be back');
      } finally {
        await instance.close();
        await own.destroy();
      }
    });
  });
});
