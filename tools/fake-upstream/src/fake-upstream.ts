import { FailurePlan, type FailureSpec, type InjectedFailure } from './failures';
import { KeyPolicy } from './key-policy';
import {
  DEFAULT_COMPATIBLE_MODELS,
  DEFAULT_MODELS,
  type FakeUpstreamOptions,
  type StreamSettings,
  streamSettingsFrom,
} from './options';
import { type RecordedRequest, Recorder, type UpstreamStats } from './recorder';
import { replyChunks } from './reply-text';
import { providerBasePath } from './routing';
import { FakeServer } from './server';

/**
 * A stand-in for the OpenAI, Anthropic and Gemini APIs (and any OpenAI-compatible one) on one
 * loopback port, speaking their wire formats to the official SDKs. Everything set through
 * the constructor can be changed while it runs; every request is recorded.
 */
export class FakeUpstream {
  readonly recorder: Recorder;
  private readonly failurePlan = new FailurePlan();
  private readonly keys = new KeyPolicy();
  private settings: StreamSettings;
  private models: Record<string, readonly string[]>;
  private server: FakeServer | null = null;
  private base: string | null = null;

  constructor(private readonly options: FakeUpstreamOptions = {}) {
    this.recorder = new Recorder(options.recordLimit);
    this.keys.reset(options.keys ?? {}, options.acceptTestKeys ?? false);
    this.settings = streamSettingsFrom(options);
    this.models = { ...DEFAULT_MODELS, ...options.models };
  }

  /** Listens on `port` (0 picks a free one) and returns the base URL, e.g. `http://127.0.0.1:41234`. */
  async start(port = 0): Promise<string> {
    if (this.server !== null) {
      throw new Error('fake-upstream is already started');
    }
    const server = new FakeServer({
      recorder: this.recorder,
      failures: this.failurePlan,
      keys: this.keys,
      settings: () => this.settings,
      modelsOf: (provider) => this.modelsOf(provider),
    });
    const host = this.options.host ?? '127.0.0.1';
    const address = await server.listen(port, host);
    this.server = server;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.base = `http://${shownHost}:${address.port}`;
    return this.base;
  }

  /** Closes the listener and every open connection, hanging ones included. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.base = null;
    if (server !== null) {
      await server.close();
    }
  }

  get baseUrl(): string {
    if (this.base === null) {
      throw new Error('fake-upstream is not started');
    }
    return this.base;
  }

  /** The base URL to give a provider's SDK: `/openai/v1`, `/anthropic`, `/gemini`, `/<id>/v1`. */
  urlFor(provider: string): string {
    return `${this.baseUrl}${providerBasePath(provider)}`;
  }

  configure(settings: Partial<StreamSettings>): void {
    this.settings = streamSettingsFrom({ ...this.settings, ...settings });
  }

  get streamSettings(): Readonly<StreamSettings> {
    return this.settings;
  }

  /** The chunks every streamed answer currently consists of, in order. */
  expectedChunks(): string[] {
    return replyChunks(this.settings);
  }

  expectedText(): string {
    return this.expectedChunks().join('');
  }

  setKeys(provider: string, keys: readonly string[] | null): void {
    this.keys.setKeys(provider, keys);
  }

  setAcceptTestKeys(accept: boolean): void {
    this.keys.setAcceptTestKeys(accept);
  }

  /** The keys a provider accepts; null when it is keyless. */
  keysOf(provider: string): readonly string[] | null {
    return this.keys.keysOf(provider);
  }

  setModels(provider: string, ids: readonly string[]): void {
    this.models = { ...this.models, [provider]: ids };
  }

  modelsOf(provider: string): readonly string[] {
    return Object.hasOwn(this.models, provider) ? this.models[provider] : DEFAULT_COMPATIBLE_MODELS;
  }

  /** Queues a failure; the returned object's `remaining` and `hits` count down live. */
  inject(spec: FailureSpec): InjectedFailure {
    return this.failurePlan.inject(spec);
  }

  removeFailure(id: number): void {
    this.failurePlan.remove(id);
  }

  clearFailures(): void {
    this.failurePlan.clear();
  }

  get failures(): readonly InjectedFailure[] {
    return this.failurePlan.list();
  }

  get requests(): readonly RecordedRequest[] {
    return this.recorder.requests;
  }

  requestsFor(provider: string): RecordedRequest[] {
    return this.recorder.requests.filter((request) => request.provider === provider);
  }

  lastRequest(provider?: string): RecordedRequest | undefined {
    const requests = provider === undefined ? this.recorder.requests : this.requestsFor(provider);
    return requests[requests.length - 1];
  }

  stats(): UpstreamStats {
    return this.recorder.stats();
  }

  /** Resolves with the first recorded request matching `predicate`, waiting for it if needed. */
  waitForRequest(predicate: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest> {
    return this.recorder.waitFor(() => this.recorder.requests.find(predicate), timeoutMs);
  }

  /** Resolves once the request's answer has ended for any reason (completed, dropped, closed). */
  waitForEnd(requestId: number, timeoutMs?: number): Promise<RecordedRequest> {
    return this.waitForRequest((request) => request.id === requestId && request.endedAt !== null, timeoutMs);
  }

  clearRequests(): void {
    this.recorder.clear();
  }

  /** Forgets requests and failures and restores the constructor's keys, models and stream settings. */
  reset(): void {
    this.recorder.clear();
    this.failurePlan.clear();
    this.keys.reset(this.options.keys ?? {}, this.options.acceptTestKeys ?? false);
    this.settings = streamSettingsFrom(this.options);
    this.models = { ...DEFAULT_MODELS, ...this.options.models };
  }
}
