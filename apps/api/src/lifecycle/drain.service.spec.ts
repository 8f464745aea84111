import { loadConfig } from '../config/app-config';
import { Metrics } from '../metrics/metrics';
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { ChatCancelled, ChatFailure } from '../chat/chat-failure';
import { abortedByDrain, DrainAbort, DrainService, FAREWELL_MS, SETTLE_MS, type StreamTicket } from './drain.service';
import { failureOwed } from './server-draining';

/** The part of the HTTP server the drain touches: its request listeners, `listening` and `close()`. */
class FakeServer extends EventEmitter {
  listening = true;
  closes = 0;

  close(): this {
    this.closes += 1;
    this.listening = false;
    return this;
  }
}

const DRAIN_TIMEOUT_MS = 1000;

/** Lets the drain's promise chain run between fake-timer steps. */
const settle = async (): Promise<void> => {
  for (let turn = 0; turn < 5; turn += 1) await Promise.resolve();
};

describe('DrainService', () => {
  let server: FakeServer;
  let drain: DrainService;
  let phases: string[];

  let warnings: jest.SpyInstance;
  let errors: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    server = new FakeServer();
    const host = { httpAdapter: { getHttpServer: () => server } } as unknown as HttpAdapterHost;
    drain = new DrainService({ drainTimeoutMs: DRAIN_TIMEOUT_MS }, host, new Metrics(loadConfig({})));
    phases = [];
    drain.subscribe({
      drainStarted: () => {
        phases.push(`started listening=${server.listening}`);
      },
      drained: () => {
        phases.push(`drained listening=${server.listening}`);
      },
    });
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  /** Runs `drain()` and records when it settled. */
  function startDrain(): { done: () => boolean; promise: Promise<void> } {
    let done = false;
    const promise = drain.drain().then(() => {
      done = true;
    });
    return { done: () => done, promise };
  }

  it('admits streams while serving, and refuses every new one from the moment the drain begins', async () => {
    expect(drain.draining).toBe(false);
    expect(drain.admit(new AbortController())).not.toBeNull();

    const running = startDrain();

    expect(drain.draining).toBe(true);
    expect(drain.admit(new AbortController())).toBeNull();
    expect(drain.running).toBe(1);
    await settle();
    expect(running.done()).toBe(false);
  });

  it('completes at once, listener closed, when no stream is running', async () => {
    const running = startDrain();
    await settle();

    expect(running.done()).toBe(true);
    expect(phases).toEqual(['started listening=true', 'drained listening=false']);
    expect(server.closes).toBe(1);
  });

  it('waits for a stream that ends within DRAIN_TIMEOUT, without aborting it', async () => {
    const abort = new AbortController();
    const ticket = drain.admit(abort) as StreamTicket;
    const running = startDrain();

    jest.advanceTimersByTime(DRAIN_TIMEOUT_MS - 1);
    await settle();
    expect(running.done()).toBe(false);
    expect(server.listening).toBe(true);

    ticket.release();
    await settle();
    expect(running.done()).toBe(true);
    expect(abort.signal.aborted).toBe(false);
    expect(phases).toEqual(['started listening=true', 'drained listening=false']);
  });

  it('aborts the streams still running at DRAIN_TIMEOUT with the drain as reason, and completes once they end', async () => {
    const finishing = new AbortController();
    const finishingTicket = drain.admit(finishing) as StreamTicket;
    const long = new AbortController();
    const longTicket = drain.admit(long) as StreamTicket;
    // A transport releases its stream once the abort has reached it.
    long.signal.addEventListener('abort', () => longTicket.release());
    const running = startDrain();

    jest.advanceTimersByTime(400);
    finishingTicket.release();
    jest.advanceTimersByTime(DRAIN_TIMEOUT_MS - 401);
    await settle();
    expect(long.signal.aborted).toBe(false);

    jest.advanceTimersByTime(1);
    await settle();
    expect(long.signal.aborted).toBe(true);
    expect(abortedByDrain(long.signal)).toBe(true);
    expect(long.signal.reason).toBeInstanceOf(DrainAbort);
    expect(finishing.signal.aborted).toBe(false);
    expect(running.done()).toBe(true);
    expect(warnings).toHaveBeenCalledWith(expect.stringContaining('1 stream still running after 1000 ms'));
  });

  it('closes the HTTP listener only after every stream has ended, and tells the transports after that', async () => {
    const ticket = drain.admit(new AbortController()) as StreamTicket;
    startDrain();
    await settle();
    expect(phases).toEqual(['started listening=true']);
    expect(server.closes).toBe(0);

    ticket.release();
    await settle();
    expect(phases).toEqual(['started listening=true', 'drained listening=false']);
  });

  it('gives aborted streams SETTLE_MS to end, then completes without them', async () => {
    const stuck = new AbortController();
    drain.admit(stuck);
    const running = startDrain();

    jest.advanceTimersByTime(DRAIN_TIMEOUT_MS);
    await settle();
    expect(stuck.signal.aborted).toBe(true);
    jest.advanceTimersByTime(SETTLE_MS - 1);
    await settle();
    expect(running.done()).toBe(false);

    jest.advanceTimersByTime(1);
    await settle();
    expect(running.done()).toBe(true);
    expect(server.closes).toBe(1);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('did not end within'));
  });

  it('ends the running streams at once when asked (a second SIGTERM), without waiting for DRAIN_TIMEOUT', async () => {
    const abort = new AbortController();
    const ticket = drain.admit(abort) as StreamTicket;
    abort.signal.addEventListener('abort', () => ticket.release());
    const running = startDrain();

    drain.endStreams();
    await settle();

    expect(abortedByDrain(abort.signal)).toBe(true);
    expect(running.done()).toBe(true);
  });

  it('drains once: a second call returns the same drain', async () => {
    const first = drain.drain();
    const second = drain.drain();
    await settle();

    expect(second).toBe(first);
    expect(phases.filter((phase) => phase.startsWith('started'))).toHaveLength(1);
  });

  it('releasing a ticket twice counts once', () => {
    const first = drain.admit(new AbortController()) as StreamTicket;
    drain.admit(new AbortController());
    first.release();
    first.release();

    expect(drain.running).toBe(1);
  });

  it('marks every response during the drain as the last on its connection, and none before', async () => {
    drain.onApplicationBootstrap();
    const response = (): { headersSent: boolean; headers: Map<string, string>; setHeader(name: string, value: string): void } => {
      const headers = new Map<string, string>();
      return { headersSent: false, headers, setHeader: (name, value) => headers.set(name, value) };
    };
    const before = response();
    server.emit('request', {}, before);
    startDrain();
    const during = response();
    server.emit('request', {}, during);

    expect(before.headers.has('Connection')).toBe(false);
    expect(during.headers.get('Connection')).toBe('close');
  });

  it('completes once the transports have said goodbye (their sockets closed), waiting FAREWELL_MS at most', async () => {
    let closeSockets = (): void => undefined;
    drain.subscribe({ drained: () => new Promise<void>((resolve) => (closeSockets = resolve)) });
    const polite = startDrain();
    await settle();
    expect(polite.done()).toBe(false);
    closeSockets();
    await settle();
    expect(polite.done()).toBe(true);
  });

  it('does not wait longer than FAREWELL_MS for a transport that never finishes its goodbye', async () => {
    drain.subscribe({ drained: () => new Promise<void>(() => undefined) });
    const running = startDrain();
    await settle();
    jest.advanceTimersByTime(FAREWELL_MS - 1);
    await settle();
    expect(running.done()).toBe(false);
    jest.advanceTimersByTime(1);
    await settle();
    expect(running.done()).toBe(true);
    expect(warnings).toHaveBeenCalledWith(expect.stringContaining('still saying goodbye'));
  });

  it('keeps draining when one listener throws', async () => {
    drain.subscribe({
      drainStarted: () => {
        throw new Error('broken transport');
      },
    });
    const running = startDrain();
    await settle();

    expect(running.done()).toBe(true);
    expect(phases).toEqual(['started listening=true', 'drained listening=false']);
  });
});

describe('failureOwed', () => {
  it('owes server_draining for a stream the drain ended, nothing for the client’s own cancel, and other errors as they are', () => {
    const byDrain = new AbortController();
    byDrain.abort(new DrainAbort());
    const byClient = new AbortController();
    byClient.abort();
    const upstream = new ChatFailure('upstream_error', 'The provider failed.');

    expect(failureOwed(new ChatCancelled(), byDrain.signal)).toMatchObject({ code: 'server_draining' });
    expect(failureOwed(new ChatCancelled(), byClient.signal)).toBeNull();
    expect(failureOwed(upstream, byDrain.signal)).toBe(upstream);
  });
});
