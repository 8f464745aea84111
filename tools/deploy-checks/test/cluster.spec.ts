import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  API_ROUTES,
  CHAT_NAMESPACE,
  type ChatClientToServerEvents,
  type ChatDoneEvent,
  type ChatServerToClientEvents,
  type ChatStartRequest,
} from '@byok/contracts';
import { startCluster, type Cluster } from '@byok/cluster';
import { FakeUpstream } from '@byok/fake-upstream';
import { io, type Socket } from 'socket.io-client';
import { ClusterClient, httpsRequest, setCookies } from './support/https-client';

type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>;

const CHUNK_DELAY_MS = 50;
const CHUNK_COUNT = 8;
const MODEL = 'gpt-4o-mini';

/**
 * The compose topology on loopback: nginx (TLS) in front of two API processes sharing a
 * password-protected Redis. Each instance talks to its own fake upstream, so which fake saw a
 * chat request tells which instance served it; HTTP requests carry an X-Request-Id that nginx
 * forwards and each instance logs, which tells the same for them.
 */
describe('the cluster (nginx + 2 API instances + Redis) over HTTPS', () => {
  const fakes = [0, 1].map(
    () => new FakeUpstream({ acceptTestKeys: true, chunkDelayMs: CHUNK_DELAY_MS, chunkCount: CHUNK_COUNT }),
  );
  let cluster: Cluster;
  let base: string;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    await Promise.all(fakes.map((fake) => fake.start()));
    cluster = await startCluster({
      // Nothing from the developer's shell (such as a real OPENAI_API_KEY) leaks into the instances.
      baseEnv: { PATH: process.env['PATH'] },
      apiEnv: { LOG_LEVEL: 'info' },
      instanceEnv: (index) => ({
        OPENAI_BASE_URL: fakes[index].urlFor('openai'),
        ANTHROPIC_BASE_URL: fakes[index].urlFor('anthropic'),
        GEMINI_BASE_URL: fakes[index].urlFor('gemini'),
        OLLAMA_BASE_URL: fakes[index].urlFor('ollama'),
      }),
    });
    base = `https://127.0.0.1:${cluster.httpsPort}`;
  }, 60_000);

  afterAll(async () => {
    sockets.forEach((socket) => socket.disconnect());
    await cluster?.stop();
    await Promise.all(fakes.map((fake) => fake.stop()));
  }, 30_000);

  beforeEach(() => fakes.forEach((fake) => fake.clearRequests()));

  const newClient = async (): Promise<ClusterClient> => {
    const client = new ClusterClient(base, cluster.ca, base);
    expect((await client.send(API_ROUTES.providerKeys)).status).toBe(200);
    return client;
  };

  /** The instance whose request log holds this request id (pino-http writes it when the response ends). */
  const servedBy = async (requestId: string): Promise<string> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = cluster.instances.filter((instance) =>
        readFileSync(instance.logFile, 'utf8').includes(`"id":"${requestId}"`),
      );
      if (found.length === 1) return found[0].name;
      if (found.length > 1) throw new Error(`request ${requestId} logged by ${found.length} instances`);
      if (Date.now() > deadline) throw new Error(`request ${requestId} is in no instance log`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  /** Which instance's fake upstream answered chat requests since the last clear. */
  const chatServedBy = (): string[] =>
    fakes.flatMap((fake, index) => (fake.requestsFor('openai').some((r) => r.endpoint === 'chat') ? [`api-${index + 1}`] : []));

  /** Sets the key through the load balancer until the request lands on `instance` (round robin: at most a few tries). */
  const setKeyThrough = async (client: ClusterClient, instance: string, apiKey: string): Promise<void> => {
    const landed: string[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const requestId = `set-${randomUUID()}`;
      const response = await client.send(API_ROUTES.setProviderKey, {
        method: 'POST',
        body: JSON.stringify({ provider: 'openai', apiKey }),
        requestId,
      });
      expect(response.status).toBe(200);
      landed.push(await servedBy(requestId));
      if (landed.at(-1) === instance) return;
    }
    throw new Error(`the key set never reached ${instance}; it reached ${landed.join(', ')}`);
  };

  const chatRequest = (): ChatStartRequest => ({
    id: `c${randomUUID().slice(0, 8)}`,
    provider: 'openai',
    model: MODEL,
    messages: [{ role: 'user', content: 'Hello through the proxy' }],
  });

  interface SseResult {
    events: { event: string; data: unknown; at: number }[];
    chunks: number;
    status: number;
    contentType: string | undefined;
  }

  const streamSse = async (client: ClusterClient, requestId: string): Promise<SseResult> => {
    const events: SseResult['events'] = [];
    let buffer = '';
    let chunks = 0;
    const response = await client.send(API_ROUTES.chatStream, {
      method: 'POST',
      body: JSON.stringify(chatRequest()),
      requestId,
      onChunk: (chunk, at) => {
        chunks++;
        buffer += chunk;
        let boundary = buffer.indexOf('\n\n');
        while (boundary >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          events.push({ event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message', data: data && JSON.parse(data), at });
          boundary = buffer.indexOf('\n\n');
        }
      },
    });
    return { events, chunks, status: response.status, contentType: response.headers['content-type'] };
  };

  const connectSocket = async (client: ClusterClient, transports: ('websocket' | 'polling')[]): Promise<ChatSocket> => {
    const socket: ChatSocket = io(`${base}${CHAT_NAMESPACE}`, {
      path: '/socket.io',
      transports,
      ca: cluster.ca,
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie: client.cookieHeader(), origin: base },
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  };

  const streamSocket = (socket: ChatSocket): Promise<{ deltas: { text: string; at: number }[]; done: ChatDoneEvent }> => {
    const request = chatRequest();
    const deltas: { text: string; at: number }[] = [];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the socket stream did not end within 10 s')), 10_000);
      socket.on('chat:delta', (event) => {
        if (event.id === request.id) deltas.push({ text: event.text, at: performance.now() });
      });
      socket.on('chat:done', (event) => {
        if (event.id !== request.id) return;
        clearTimeout(timer);
        resolve({ deltas, done: event });
      });
      socket.on('chat:error', (event) => {
        if (event.id !== request.id) return;
        clearTimeout(timer);
        reject(new Error(`chat:error ${event.code}: ${event.message}`));
      });
      socket.emit('chat:start', request);
    });
  };

  it('sets a Secure __Host- CSRF seed cookie and a Secure XSRF-TOKEN over HTTPS, as X-Forwarded-Proto tells the API', async () => {
    const response = await httpsRequest(cluster.ca, `${base}${API_ROUTES.providerKeys}`);
    expect(response.status).toBe(200);
    const cookies = new Map(setCookies(response.headers).map((cookie) => [cookie.name, cookie.attributes]));
    // A first visit is given no session: it is stored only with the first key.
    const seed = cookies.get('__Host-byok.csrf');
    expect(seed?.has('secure')).toBe(true);
    expect(seed?.has('httponly')).toBe(true);
    expect(seed?.get('path')).toBe('/');
    expect(seed?.has('domain')).toBe(false);
    expect(cookies.get('XSRF-TOKEN')?.has('secure')).toBe(true);
    expect(cookies.has('byok.csrf')).toBe(false);
    expect(cookies.has('byok.sid')).toBe(false);
  });

  it('gives the plain, non-Secure cookie when an instance is reached without the proxy (the Secure flag comes from nginx)', async () => {
    const cookies = await new Promise<string[]>((resolve, reject) => {
      get(`${cluster.instances[0].url}${API_ROUTES.providerKeys}`, (response) => {
        response.resume();
        resolve(response.headers['set-cookie'] ?? []);
      }).once('error', reject);
    });
    expect(cookies.some((cookie) => cookie.startsWith('byok.csrf=') && !/;\s*Secure/i.test(cookie))).toBe(true);
    expect(cookies.some((cookie) => cookie.startsWith('__Host-'))).toBe(false);
  });

  it('redirects plain HTTP to the same path over HTTPS', async () => {
    const location = await new Promise<string | undefined>((resolve, reject) => {
      get(`http://127.0.0.1:${cluster.httpPort}/chat?x=1`, (response) => {
        response.resume();
        expect(response.statusCode).toBe(301);
        resolve(response.headers.location);
      }).once('error', reject);
    });
    expect(location).toBe(`https://127.0.0.1:${cluster.httpsPort}/chat?x=1`);
  });

  it('serves the web build from nginx with the same Content-Security-Policy the API sends', async () => {
    const page = await httpsRequest(cluster.ca, `${base}/settings`);
    const api = await httpsRequest(cluster.ca, `${base}${API_ROUTES.health}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<app-root');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(api.headers['content-security-policy']);
    expect(page.headers['strict-transport-security']).toBe(api.headers['strict-transport-security']);
  });

  it('reports ready with the shared Redis store through the proxy', async () => {
    const response = await httpsRequest(cluster.ca, `${base}${API_ROUTES.ready}`);
    expect(JSON.parse(response.body)).toEqual({ status: 'ready', store: 'redis' });
  });

  it('keeps Redis behind its password, with the append-only file on', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(cluster.redisPort, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString());
      });
      socket.once('error', reject);
    });
    expect(reply).toMatch(/^-NOAUTH/);
    const dataDir = join(cluster.stateDir, 'redis');
    expect(existsSync(join(dataDir, 'appendonlydir')) || readdirSync(dataDir).some((file) => file.endsWith('.aof'))).toBe(true);
  });

  it('uses a key set through api-1 for an SSE chat stream served by api-2', async () => {
    const client = await newClient();
    const apiKey = `sk-test-cluster-sse-${randomUUID()}`;
    await setKeyThrough(client, 'api-1', apiKey);
    let result: SseResult | undefined;
    let requestId = '';
    for (let attempt = 0; attempt < 6 && !chatServedBy().includes('api-2'); attempt++) {
      fakes.forEach((fake) => fake.clearRequests());
      requestId = `sse-${randomUUID()}`;
      result = await streamSse(client, requestId);
    }
    expect(chatServedBy()).toEqual(['api-2']);
    expect(await servedBy(requestId)).toBe('api-2');
    const upstream = fakes[1].requestsFor('openai').find((request) => request.endpoint === 'chat');
    expect(upstream?.key).toBe(apiKey);
    const done = result?.events.find((event) => event.event === 'done')?.data as ChatDoneEvent;
    expect(done.credentialSource).toBe('session');
    expect(
      result?.events
        .filter((event) => event.event === 'delta')
        .map((event) => (event.data as { text: string }).text)
        .join(''),
    ).toBe(fakes[1].expectedText());
  });

  it('delivers SSE events through nginx one at a time at the upstream pace, not merged', async () => {
    const client = await newClient();
    await setKeyThrough(client, 'api-1', `sk-test-cluster-pace-${randomUUID()}`);
    const result = await streamSse(client, `pace-${randomUUID()}`);
    expect(result.status).toBe(200);
    expect(result.contentType).toMatch(/^text\/event-stream/);
    const deltas = result.events.filter((event) => event.event === 'delta');
    expect(deltas).toHaveLength(CHUNK_COUNT);
    // Each delta came in its own read, and they are spread like the upstream spread them.
    expect(new Set(deltas.map((delta) => delta.at)).size).toBe(CHUNK_COUNT);
    const gaps = deltas.slice(1).map((delta, index) => delta.at - deltas[index].at);
    const sorted = [...gaps].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    expect(median).toBeGreaterThan(CHUNK_DELAY_MS * 0.6);
    expect(median).toBeLessThan(CHUNK_DELAY_MS * 3);
    expect(deltas[deltas.length - 1].at - deltas[0].at).toBeGreaterThan((CHUNK_COUNT - 1) * CHUNK_DELAY_MS * 0.7);
  });

  it('uses a key set through one instance for a socket.io stream over wss served by the other', async () => {
    const client = await newClient();
    await setKeyThrough(client, 'api-1', `sk-test-cluster-ws-first-${randomUUID()}`);
    const probe = await connectSocket(client, ['websocket']);
    await streamSocket(probe);
    // ip_hash: every socket from this address reaches the same instance.
    const [socketInstance] = chatServedBy();
    expect(['api-1', 'api-2']).toContain(socketInstance);
    const other = socketInstance === 'api-1' ? 'api-2' : 'api-1';

    const apiKey = `sk-test-cluster-ws-${randomUUID()}`;
    await setKeyThrough(client, other, apiKey);
    fakes.forEach((fake) => fake.clearRequests());
    // The same socket: it reads the session's keyring per stream, so the new key needs no reconnect.
    const { deltas, done } = await streamSocket(probe);
    expect(probe.connected).toBe(true);
    expect(chatServedBy()).toEqual([socketInstance]);
    const index = Number(socketInstance.slice(-1)) - 1;
    expect(fakes[index].requestsFor('openai').find((request) => request.endpoint === 'chat')?.key).toBe(apiKey);
    expect(done.credentialSource).toBe('session');
    expect(deltas.map((delta) => delta.text).join('')).toBe(fakes[index].expectedText());
    // The socket's deltas are paced too: nginx does not buffer the WebSocket.
    expect(deltas[deltas.length - 1].at - deltas[0].at).toBeGreaterThan((CHUNK_COUNT - 1) * CHUNK_DELAY_MS * 0.7);
  });

  it('keeps a long-polling socket.io client on one instance, so its session survives every poll', async () => {
    const client = await newClient();
    await setKeyThrough(client, 'api-2', `sk-test-cluster-poll-${randomUUID()}`);
    const socket = await connectSocket(client, ['polling']);
    // Several streams mean many polls; with round robin the second poll would hit the instance
    // that never saw the handshake and be refused ("Session ID unknown").
    for (let stream = 0; stream < 3; stream++) {
      const { done } = await streamSocket(socket);
      expect(done.credentialSource).toBe('session');
    }
    expect(socket.connected).toBe(true);
    expect(socket.io.engine.transport.name).toBe('polling');
  });

  it('refuses a WebSocket opened from a foreign Origin through the proxy', async () => {
    const client = await newClient();
    const socket: ChatSocket = io(`${base}${CHAT_NAMESPACE}`, {
      path: '/socket.io',
      transports: ['websocket'],
      ca: cluster.ca,
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie: client.cookieHeader(), origin: 'https://evil.example' },
    });
    sockets.push(socket);
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    expect(error).toBeInstanceOf(Error);
    expect(socket.connected).toBe(false);
  });
});
