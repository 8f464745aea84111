import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { DEFAULT_STANDALONE_PORT } from './environment';
import { FakeUpstream, optionsFromEnvironment } from './index';

describe('standalone settings from environment and flags', () => {
  it('defaults to port 4010, the default keys and no injected failures', () => {
    const config = optionsFromEnvironment({});

    expect(config.port).toBe(DEFAULT_STANDALONE_PORT);
    expect(config.port).toBe(4010);
    expect(config.failures).toEqual([]);
    expect(config.options).toEqual({ acceptTestKeys: false });
  });

  it('reads port, keys, pacing, text, models and failures from FAKE_UPSTREAM_* variables', () => {
    const config = optionsFromEnvironment({
      FAKE_UPSTREAM_PORT: '5005',
      FAKE_UPSTREAM_KEYS: '{"openai":["sk-one","sk-two"],"groq":null}',
      FAKE_UPSTREAM_ACCEPT_TEST_KEYS: '1',
      FAKE_UPSTREAM_CHUNK_DELAY_MS: '25',
      FAKE_UPSTREAM_FIRST_CHUNK_DELAY_MS: '300',
      FAKE_UPSTREAM_CHUNK_COUNT: '4',
      FAKE_UPSTREAM_TEXT: 'Hello from the demo.',
      FAKE_UPSTREAM_MODELS: '{"groq":["llama-3.3-70b"]}',
      FAKE_UPSTREAM_FAILURES: '[{"kind":"status429","provider":"openai","times":1}]',
    });

    expect(config).toEqual({
      port: 5005,
      options: {
        keys: { openai: ['sk-one', 'sk-two'], groq: null },
        acceptTestKeys: true,
        chunkDelayMs: 25,
        firstChunkDelayMs: 300,
        chunkCount: 4,
        text: 'Hello from the demo.',
        models: { groq: ['llama-3.3-70b'] },
      },
      failures: [{ kind: 'status429', provider: 'openai', times: 1 }],
    });
  });

  it('lets command-line flags override the environment', () => {
    const config = optionsFromEnvironment({ FAKE_UPSTREAM_PORT: '5005', FAKE_UPSTREAM_CHUNK_DELAY_MS: '25' }, [
      '--port',
      '0',
      '--chunk-delay-ms=5',
      '--accept-test-keys',
    ]);

    expect(config.port).toBe(0);
    expect(config.options).toMatchObject({ chunkDelayMs: 5, acceptTestKeys: true });
  });

  it('names the offending variable when a value is invalid', () => {
    expect(() => optionsFromEnvironment({ FAKE_UPSTREAM_PORT: 'eighty' })).toThrow(/FAKE_UPSTREAM_PORT/);
    expect(() => optionsFromEnvironment({ FAKE_UPSTREAM_KEYS: '{"openai":"sk-not-a-list"}' })).toThrow(/FAKE_UPSTREAM_KEYS/);
    expect(() => optionsFromEnvironment({ FAKE_UPSTREAM_KEYS: '{not json' })).toThrow(/not valid JSON/);
    expect(() => optionsFromEnvironment({ FAKE_UPSTREAM_FAILURES: '[{"kind":"explode"}]' })).toThrow(/FAKE_UPSTREAM_FAILURES/);
    expect(() => optionsFromEnvironment({}, ['--no-such-flag'])).toThrow();
  });
});

describe('demo mode: FAKE_UPSTREAM_ACCEPT_TEST_KEYS=1', () => {
  const fake = new FakeUpstream(optionsFromEnvironment({ FAKE_UPSTREAM_ACCEPT_TEST_KEYS: '1' }).options);

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('accepts any key made of the provider prefix plus "test", for each provider', async () => {
    const openai = new OpenAI({ apiKey: 'sk-test-whatever-the-demo-uses', baseURL: fake.urlFor('openai'), maxRetries: 0 });
    const anthropic = new Anthropic({
      apiKey: 'sk-ant-test-demo-key-000000000000',
      authToken: null,
      baseURL: fake.urlFor('anthropic'),
      maxRetries: 0,
    });
    const gemini = new GoogleGenAI({ apiKey: 'AIzaTestDemoKey000000000000000000', httpOptions: { baseUrl: fake.urlFor('gemini') } });

    await expect(openai.models.list()).resolves.toBeDefined();
    await expect(anthropic.models.list()).resolves.toBeDefined();
    await expect(gemini.models.list()).resolves.toBeDefined();
    expect(fake.requests.map((request) => request.keyAccepted)).toEqual([true, true, true]);
  });

  it('still rejects keys that do not look like test keys', async () => {
    const openai = new OpenAI({ apiKey: 'sk-proj-real-looking-key-0000', baseURL: fake.urlFor('openai'), maxRetries: 0 });
    const crossProvider = new OpenAI({ apiKey: 'sk-ant-test-demo-key-000000000000', baseURL: fake.urlFor('openai'), maxRetries: 0 });

    await expect(openai.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(crossProvider.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('standalone process (src/main.ts)', () => {
  let child: ChildProcess | null = null;

  afterEach(async () => {
    const running = child;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise((resolve) => {
      running.once('exit', resolve);
      running.kill('SIGTERM');
    });
  });

  it('prints its base URL and serves requests on it', async () => {
    const root = join(__dirname, '..', '..', '..');
    child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, 'main.ts')],
      {
        cwd: root,
        env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', 'tsconfig.lib.json'), FAKE_UPSTREAM_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const baseUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      child?.stdout?.on('data', (data: Buffer) => {
        output += data.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]);
      });
      child?.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });

    const response = await fetch(`${baseUrl}/ollama/v1/models`);

    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: 'list', data: [{ id: 'llama3.2' }, { id: 'qwen2.5' }] });
  }, 20_000);
});
