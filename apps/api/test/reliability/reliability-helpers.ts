import type { FakeUpstream } from '@byok/fake-upstream';

/** Base URLs pointing every built-in provider at the fake upstream. */
export function providerUrls(fake: FakeUpstream): Record<string, string> {
  return {
    OPENAI_BASE_URL: fake.urlFor('openai'),
    ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
    GEMINI_BASE_URL: fake.urlFor('gemini'),
    OLLAMA_BASE_URL: fake.urlFor('ollama'),
  };
}

/** Probes until `accept` holds or the time is up; returns the last answer either way. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!accept(last) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  return last;
}

/**
 * Counts unhandled rejections and uncaught exceptions in this process (the API runs in it), so a
 * test can prove a fault was handled rather than merely survived.
 */
export function watchProcessFailures(): { seen(): string[]; stop(): void } {
  const seen: string[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(`unhandledRejection: ${reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)}`);
  };
  const onException = (error: Error): void => {
    seen.push(`uncaughtException: ${error.name}: ${error.message}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen: () => [...seen],
    stop: () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/**
 * Waits until the fake upstream has no stream or request left open (and, unless told otherwise,
 * no connection: idle keep-alive connections close within about 4 s), or fails naming what is left.
 */
export async function upstreamSettled(fake: FakeUpstream, timeoutMs: number, { connections = true } = {}): Promise<void> {
  const open = (): { openConnections: number; openStreams: number; activeRequests: number } => {
    const { openConnections, openStreams, activeRequests } = fake.stats();
    return { openConnections: connections ? openConnections : 0, openStreams, activeRequests };
  };
  const settled = await eventually(
    async () => open(),
    (stats) => stats.openConnections === 0 && stats.openStreams === 0 && stats.activeRequests === 0,
    timeoutMs,
  );
  expect(settled).toEqual({ openConnections: 0, openStreams: 0, activeRequests: 0 });
}
