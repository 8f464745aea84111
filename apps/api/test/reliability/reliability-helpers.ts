import type { FakeUpstream } from '@byok/fake-upstream';
import { REDIS, type RedisClient, becomesReady } from '../../src/redis/redis.module';
import type { ApiInstance } from '../support/api-instance';

/** Base URLs pointing every built-in provider at the fake upstream. */
export function providerUrls(fake: FakeUpstream): Record<string, string> {
  return {
    OPENAI_BASE_URL: fake.urlFor('openai'),
    ANTHROPIC_BASE_URL: fake.urlFor('anthropic'),
    GEMINI_BASE_URL: fake.urlFor('gemini'),
    OLLAMA_BASE_URL: fake.urlFor('ollama'),
  };
}

/**
 * Waits until the API's Redis client is connected again after Redis restarted: its 'ready' event
 * (ioredis emits it once the new server has answered and finished loading its AOF). A 'ready'
 * status can be one left from before a crash that the client has not noticed yet, so only a
 * PING answered through that client ends the wait.
 */
export async function storeReconnected(api: ApiInstance, timeoutMs = 10_000): Promise<void> {
  const redis = api.app.get<symbol, RedisClient>(REDIS);
  const deadline = Date.now() + timeoutMs;
  while (!(await redis.ping().then(() => true, () => false))) {
    if (!(await becomesReady(redis, deadline - Date.now()))) {
      throw new Error(`the API's Redis client did not reconnect within ${timeoutMs} ms (status ${redis.status})`);
    }
  }
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
  const isSettled = (): boolean => {
    const stats = open();
    return stats.openConnections === 0 && stats.openStreams === 0 && stats.activeRequests === 0;
  };
  // The recorder wakes its waiters on every request and connection change. At the deadline the
  // expectation below names what is still open.
  await fake.recorder.waitFor(isSettled, timeoutMs).catch(() => false);
  expect(open()).toEqual({ openConnections: 0, openStreams: 0, activeRequests: 0 });
}
