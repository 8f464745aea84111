import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { API_ROUTES } from '@byok/contracts';
import { DEFAULT_KEYS, FakeUpstream, type FakeUpstreamOptions } from '@byok/fake-upstream';
import { EXTERNAL_BASE_URL } from './environment';
import { OwnedProcess, freePort } from './processes';

const WORKSPACE_ROOT = resolve(__dirname, '../../../..');
const API_MAIN = join(WORKSPACE_ROOT, 'dist/apps/api/main.js');
const WEB_ROOT = join(WORKSPACE_ROOT, 'dist/apps/web/browser');

/** The server's own OpenAI key, so OpenAI shows as ENV; the fake accepts it. */
export const ENV_OPENAI_KEY = 'sk-test-e2e-server-key-0123456789abcdef';
/** Keys a user brings; the fake accepts them. */
export const USER_KEYS = {
  anthropic: DEFAULT_KEYS['anthropic']?.[0] ?? '',
  gemini: DEFAULT_KEYS['gemini']?.[0] ?? '',
};

/** Settings added to the API's environment; null removes one the stack sets (OPENAI_API_KEY, say). */
export type ApiSettings = Record<string, string | null>;

export interface StackOptions {
  fake?: FakeUpstreamOptions;
  /**
   * Called with the API's origin once its port is chosen and before it starts, for what must know
   * that origin first (an identity provider registers the exact callback URL).
   */
  apiSettings?: (apiBaseUrl: string) => ApiSettings | Promise<ApiSettings>;
}

/** The built API serving the built web app, on a real Redis, talking to the fake upstream. */
export class E2eStack {
  private constructor(
    readonly baseUrl: string,
    /** Null when running against E2E_BASE_URL. */
    readonly fake: FakeUpstream | null,
    private readonly parts: { redis?: OwnedProcess; api?: OwnedProcess },
  ) {}

  get external(): boolean {
    return this.fake === null;
  }

  /** The fake upstream; tests reach it through the `fake` fixture, which skips them without it. */
  get upstream(): FakeUpstream {
    if (this.fake === null) throw new Error('the fake upstream is not available with E2E_BASE_URL');
    return this.fake;
  }

  static async start({ fake: fakeOptions = {}, apiSettings }: StackOptions = {}): Promise<E2eStack> {
    if (EXTERNAL_BASE_URL !== null) {
      return new E2eStack(EXTERNAL_BASE_URL, null, {});
    }
    for (const built of [API_MAIN, join(WEB_ROOT, 'index.html')]) {
      if (!existsSync(built)) {
        throw new Error(`${built} is missing: build first (npx nx run-many -t build -p api,web)`);
      }
    }
    const parts: { redis?: OwnedProcess; api?: OwnedProcess } = {};
    const fake = new FakeUpstream({ ...fakeOptions, keys: { openai: [ENV_OPENAI_KEY], ...fakeOptions.keys } });
    // Whatever started before a failure is stopped again, since afterAll only sees a stack.
    const stack = new E2eStack('', fake, parts);
    try {
      await fake.start();
      const redisPort = await freePort();
      parts.redis = OwnedProcess.spawn('redis-server', 'redis-server', [
        '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      ]);
      await parts.redis.waitUntil(() => redisAnswersPing(redisPort), 10_000);

      const apiPort = await freePort();
      const baseUrl = `http://127.0.0.1:${apiPort}`;
      const env: NodeJS.ProcessEnv = {
        // Only what the API needs: nothing from the developer's shell (a real provider key, a
        // different policy) may change what the tests see.
        PATH: process.env['PATH'],
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(apiPort),
        ALLOWED_HOSTS: '127.0.0.1',
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        SESSION_SECRET: 'e2e-session-secret-0123456789abcdefghijkl',
        KEYSTORE_SECRETS: 'e2e-keystore-secret-0123456789abcdefghijk',
        LOG_LEVEL: 'warn',
        WEB_ROOT,
        OPENAI_API_KEY: ENV_OPENAI_KEY,
        OPENAI_BASE_URL: fake.urlFor('openai'),
        ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
        GEMINI_BASE_URL: fake.urlFor('gemini'),
        OLLAMA_BASE_URL: fake.urlFor('ollama'),
      };
      for (const [name, value] of Object.entries((await apiSettings?.(baseUrl)) ?? {})) {
        if (value === null) delete env[name];
        else env[name] = value;
      }
      parts.api = OwnedProcess.spawn('API', process.execPath, [API_MAIN], { cwd: WORKSPACE_ROOT, env });
      await parts.api.waitUntil(async () => (await fetch(`${baseUrl}${API_ROUTES.ready}`)).ok, 20_000);
      return new E2eStack(baseUrl, fake, parts);
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  /** Stops everything that was started; safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    await this.parts.api?.stop();
    await this.parts.redis?.stop();
    await this.fake?.stop();
  }

  /** What the API process printed lately (warnings and errors only), for failure messages. */
  get apiOutput(): string {
    return this.parts.api?.recentOutput ?? '';
  }
}

function redisAnswersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.once('close', () => resolve(reply.startsWith('+PONG')));
    socket.once('error', () => resolve(false));
  });
}
