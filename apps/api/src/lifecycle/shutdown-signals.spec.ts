import { EventEmitter } from 'node:events';
import { type INestApplication, Logger } from '@nestjs/common';
import { DrainService } from './drain.service';
import { drainOnSignals, type SignalSource } from './shutdown-signals';

/** The drain and the app, recording the order in which shutdown reaches them. */
function fakes(): {
  app: INestApplication;
  steps: string[];
  finishDrain: () => void;
  exits: number[];
  source: EventEmitter;
} {
  const steps: string[] = [];
  let finishDrain = (): void => undefined;
  const drained = new Promise<void>((resolve) => (finishDrain = resolve));
  const drain = {
    drain: () => {
      steps.push('drain');
      return drained;
    },
    endStreams: () => steps.push('end streams'),
  };
  const app = {
    get: (token: unknown) => (token === DrainService ? drain : undefined),
    close: async () => {
      steps.push('close');
    },
  } as unknown as INestApplication;
  return { app, steps, finishDrain: () => finishDrain(), exits: [], source: new EventEmitter() };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('drainOnSignals', () => {
  beforeEach(() => {
    for (const level of ['log', 'warn', 'error'] as const) jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s drains, then closes the app, then exits 0', async (signal) => {
    const { app, steps, finishDrain, exits, source } = fakes();
    drainOnSignals(app, source as unknown as SignalSource, (code) => exits.push(code));

    source.emit(signal, signal);
    await flush();
    expect(steps).toEqual(['drain']);
    expect(exits).toEqual([]);

    finishDrain();
    await flush();
    expect(steps).toEqual(['drain', 'close']);
    expect(exits).toEqual([0]);
  });

  it('ends the running streams at once on a second signal, and still exits once', async () => {
    const { app, steps, finishDrain, exits, source } = fakes();
    drainOnSignals(app, source as unknown as SignalSource, (code) => exits.push(code));

    source.emit('SIGTERM', 'SIGTERM');
    source.emit('SIGTERM', 'SIGTERM');
    finishDrain();
    await flush();

    expect(steps).toEqual(['drain', 'end streams', 'close']);
    expect(exits).toEqual([0]);
  });

  it('exits 1 when closing fails', async () => {
    const { app, finishDrain, exits, source } = fakes();
    (app as { close: () => Promise<void> }).close = () => Promise.reject(new Error('boom'));
    drainOnSignals(app, source as unknown as SignalSource, (code) => exits.push(code));

    source.emit('SIGTERM', 'SIGTERM');
    finishDrain();
    await flush();

    expect(exits).toEqual([1]);
  });
});
