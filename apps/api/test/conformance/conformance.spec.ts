import { ACCEPTS_TEMPERATURE, type ProviderFamily } from '@byok/contracts';
import type { EventSourceMessage } from 'eventsource-parser';
import { Secret } from '../../src/common/secret';
import { loadConfig, type ProviderConfig } from '../../src/config/app-config';
import { AnthropicAdapter } from '../../src/providers/adapters/anthropic.adapter';
import { GeminiAdapter } from '../../src/providers/adapters/gemini.adapter';
import { OpenAiAdapter } from '../../src/providers/adapters/openai.adapter';
import type { ChatRequest, ProviderAdapter, ProviderTarget } from '../../src/providers/provider-adapter';
import { classifyUpstreamError } from '../../src/providers/upstream-failure';
import { SseReader } from '../../src/providers/wire/sse-reader';
import { UpstreamError } from '../../src/providers/wire/upstream-error';
import { UpstreamHttp } from '../../src/providers/wire/upstream-http';
import { ReplayServer, type ReceivedRequest } from './replay-server';
import { type ChatReader, SDK_READERS } from './sdk-reference';
import { ANTHROPIC_TRANSCRIPTS } from './transcripts/anthropic.transcripts';
import { GEMINI_TRANSCRIPTS } from './transcripts/gemini.transcripts';
import { COMPATIBLE_PROVIDER_ID, OPENAI_TRANSCRIPTS } from './transcripts/openai.transcripts';
import { type ChatOutcome, type Transcript, wholeBody } from './transcripts/transcript';

/**
 * Each recorded answer is replayed over HTTP to the official SDK (the reference) and to the
 * family's fast adapter; both must read the same deltas, finish and failure from it. Where the
 * SDK itself reads a transcript wrongly, the transcript says so and both readings are asserted.
 */

const API_KEY = new Secret('sk-test-conformance-0123456789abcdef');

const FAMILIES: ReadonlyArray<{ title: string; model: string; transcripts: readonly Transcript[] }> = [
  { title: 'OpenAI and OpenAI-compatible', model: 'gpt-4o-mini', transcripts: OPENAI_TRANSCRIPTS },
  { title: 'Anthropic', model: 'claude-sonnet-4-6', transcripts: ANTHROPIC_TRANSCRIPTS },
  { title: 'Gemini', model: 'gemini-2.5-flash', transcripts: GEMINI_TRANSCRIPTS },
];

let server: ReplayServer;
let http: UpstreamHttp;
let providers: ProviderConfig[];
let adapters: Record<ProviderFamily, ProviderAdapter>;

beforeAll(async () => {
  server = await ReplayServer.start();
  http = new UpstreamHttp();
  const openai = new OpenAiAdapter(http);
  adapters = { openai, 'openai-compatible': openai, anthropic: new AnthropicAdapter(http), gemini: new GeminiAdapter(http) };
  providers = loadConfig({
    OPENAI_BASE_URL: `${server.origin}/v1`,
    ANTHROPIC_BASE_URL: server.origin,
    GEMINI_BASE_URL: server.origin,
    OLLAMA_BASE_URL: `${server.origin}/v1`,
    OPENAI_COMPATIBLE_PROVIDERS: JSON.stringify([{ id: COMPATIBLE_PROVIDER_ID, name: 'OpenRouter', baseUrl: `${server.origin}/api/v1` }]),
  }).providers;
});

afterAll(async () => {
  await http?.onApplicationShutdown();
  await server?.close();
});

function targetFor(transcript: Transcript): ProviderTarget {
  const config = providers.find((provider) => provider.id === transcript.providerId);
  if (!config) throw new Error(`transcript ${transcript.name} names an unconfigured provider ${transcript.providerId}`);
  return { config, apiKey: API_KEY };
}

function requestFor(model: string, family: ProviderFamily): ChatRequest {
  return {
    model,
    messages: [
      { role: 'system', content: 'Answer in one line.' },
      { role: 'user', content: 'Say héllo wörld.' },
    ],
    maxTokens: 256,
    // Only where the family takes one: ChatService turns a temperature for Anthropic away first.
    temperature: ACCEPTS_TEMPERATURE[family] ? 0.5 : undefined,
  };
}

async function outcomeOf(read: ChatReader, target: ProviderTarget, model: string): Promise<ChatOutcome> {
  const deltas: string[] = [];
  try {
    const request = requestFor(model, target.config.family);
    const finish = await read(target, request, new AbortController().signal, (text) => deltas.push(text));
    return { deltas, finish };
  } catch (error) {
    return { deltas, failure: classifyUpstreamError(error, target.config.family) };
  }
}

interface Replay {
  sdk: ChatOutcome;
  fast: ChatOutcome;
  sdkRequest: ReceivedRequest;
  fastRequest: ReceivedRequest;
}

async function replayThroughBoth(transcript: Transcript, model: string): Promise<Replay> {
  const target = targetFor(transcript);
  server.play(transcript);
  const sdk = await outcomeOf(SDK_READERS[target.config.family], target, model);
  const [sdkRequest] = server.received;
  server.play(transcript);
  const adapter = adapters[target.config.family];
  const fast = await outcomeOf((...call) => adapter.streamChat(...call), target, model);
  const [fastRequest] = server.received;
  return { sdk, fast, sdkRequest, fastRequest };
}

/** What the test of a transcript proves, by what is known about each side's reading of it. */
function titleOf({ name, sdkDivergence }: Transcript): string {
  if (sdkDivergence) return `${name}: the SDK diverges (${sdkDivergence.reason}); the fast path reads it right`;
  return `${name}: the fast path reads what the SDK reads`;
}

describe.each(FAMILIES)('$title transcripts', ({ model, transcripts }) => {
  for (const transcript of transcripts) {
    it(titleOf(transcript), async () => {
      const { sdk, fast } = await replayThroughBoth(transcript, model);
      const sdkReading = transcript.sdkDivergence?.outcome ?? transcript.expected;
      expect(sdk).toEqual(sdkReading);
      expect(fast).toEqual(transcript.expected);
      if (transcript.sdkDivergence) {
        expect(fast).not.toEqual(sdk);
      } else {
        expect(fast.deltas.join('')).toBe(sdk.deltas.join(''));
        expect(fast.deltas).toEqual(sdk.deltas);
        expect(fast).toEqual(sdk);
      }
    });
  }

  it('the SDK and the fast path send the same request to the same endpoint', async () => {
    const { sdkRequest, fastRequest } = await replayThroughBoth(transcripts[0], model);
    expect(fastRequest.method).toBe('POST');
    expect(`${fastRequest.method} ${fastRequest.url}`).toBe(`${sdkRequest.method} ${sdkRequest.url}`);
    expect(fastRequest.body).toEqual(sdkRequest.body);
  });

  it('the transcripts cover split characters, CRLF, comments, errors in the stream, a cut connection, 401 and 429', () => {
    const bodies = transcripts.map((transcript) => Buffer.from(wholeBody(transcript)).toString('utf8'));
    expect(transcripts.some(splitsACharacter)).toBe(true);
    expect(bodies.some((body) => body.includes('\r\n'))).toBe(true);
    expect(bodies.some((body) => /^: keep-alive\r?\n/m.test(body))).toBe(true);
    expect(transcripts.some((transcript) => transcript.status === 200 && transcript.expected.failure !== undefined)).toBe(true);
    expect(transcripts.some((transcript) => transcript.ending === 'cut')).toBe(true);
    expect(transcripts.map((transcript) => transcript.status)).toEqual(expect.arrayContaining([401, 429]));
  });
});

/** Whether a write ends inside a UTF-8 character: the next write then starts with a continuation byte. */
function splitsACharacter(transcript: Transcript): boolean {
  return transcript.parts.slice(1).some((part) => part.length > 0 && (part[0] & 0b1100_0000) === 0b1000_0000);
}

interface SseReading {
  events: EventSourceMessage[];
  /** How reading ended when it did not end well: the fast path's error phase, or what else was thrown. */
  failure?: string;
}

/**
 * Pushes the given byte parts through an SseReader, then ends the body as the transcript did: a
 * clean end is `end()`, which fails an event the end cut off; a cut connection never reaches it
 * (the HTTP client reports the break).
 */
function sseReadingOf(parts: readonly Uint8Array[], ending: Transcript['ending']): SseReading {
  const events: EventSourceMessage[] = [];
  const reader = new SseReader((event) => events.push({ ...event }));
  try {
    for (const part of parts) reader.push(part);
    if (ending === 'cut') return { events, failure: 'cut' };
    reader.end();
    return { events };
  } catch (error) {
    return { events, failure: error instanceof UpstreamError ? `UpstreamError(${error.phase})` : String(error) };
  }
}

const STREAMS = FAMILIES.flatMap(({ transcripts }) => transcripts.filter((transcript) => transcript.status === 200));

describe('SseReader over the exact byte parts, without TCP', () => {
  it.each(STREAMS)('$name: the same events whether the body comes in its parts or whole', (transcript) => {
    const inParts = sseReadingOf(transcript.parts, transcript.ending);
    const whole = sseReadingOf([wholeBody(transcript)], transcript.ending);
    expect(inParts.events.length).toBeGreaterThan(0);
    expect(inParts).toEqual(whole);
    if (transcript.ending === 'cut') expect(inParts.failure).toBe('cut');
  });
});
