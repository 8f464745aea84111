import { type INestApplication, Logger } from '@nestjs/common';
import { DrainService } from './drain.service';

/** What an orchestrator (SIGTERM) or a developer (Ctrl-C) sends to stop the process. */
export const DRAIN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** The part of `process` this needs; tests pass an EventEmitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/**
 * On SIGTERM or SIGINT the process drains (DrainService), closes the app (sockets, then the
 * HTTP server, then Redis in the modules' shutdown hooks) and exits 0. A second signal during the
 * drain ends the running streams at once (with `server_draining`) instead of waiting them out.
 *
 * It replaces Nest's shutdown hooks, which createApp leaves off: they would close without draining
 * and then re-raise the signal (the exit status a killed process has).
 */
export function drainOnSignals(
  app: INestApplication,
  source: SignalSource = process,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const drain = app.get(DrainService);
  const logger = new Logger('Shutdown');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: ending the running streams now`);
      drain.endStreams();
      return;
    }
    stopping = true;
    logger.log(`${signal}: draining, then closing`);
    drain
      .drain()
      .then(() => app.close())
      .then(
        () => exit(0),
        (error: unknown) => {
          logger.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          exit(1);
        },
      );
  };
  for (const signal of DRAIN_SIGNALS) source.on(signal, onSignal);
}
