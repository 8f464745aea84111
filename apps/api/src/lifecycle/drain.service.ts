import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ChatFailure } from '../chat/chat-failure';
import { Metrics } from '../metrics/metrics';

export const SERVER_DRAINING_MESSAGE = 'The chat server is restarting; ask again in a moment and another one answers.';

/**
 * The reason the drain aborts a stream with: a failure owed to the client, so ChatService ends
 * the stream with it (audited and counted as `server_draining`), and its transport can tell it
 * from the client's own cancel.
 */
export class DrainAbort extends ChatFailure {
  constructor() {
    super('server_draining', SERVER_DRAINING_MESSAGE);
    this.name = 'DrainAbort';
  }
}

export function abortedByDrain(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof DrainAbort;
}

/** What a transport hears of the drain, in this order. */
export interface DrainListener {
  /** New streams and connections are refused from now on; running streams go on. */
  drainStarted?(): void;
  /**
   * Every stream has ended, by itself or by the drain, and the HTTP listener is closed, so a
   * client that connects again now reaches another instance. The drain is complete once the
   * returned promise settles (at most FAREWELL_MS), e.g. when the sockets sent away have closed.
   */
  drained?(): void | Promise<void>;
}

/** A running stream as the drain knows it; released once, however the stream ended. */
export interface StreamTicket {
  release(): void;
}

/**
 * Once the drain has aborted the streams left at DRAIN_TIMEOUT, how long they get to send their
 * error and end. Aborting settles a stream within milliseconds; this only bounds a stuck one.
 */
export const SETTLE_MS = 5000;

/**
 * How long the transports' farewells may take once drained: a socket sent away closes as soon
 * as its last packets are out, and the app must not close it under them; this bounds a client
 * that never acknowledges the close.
 */
export const FAREWELL_MS = 2000;

/**
 * Takes the instance out of service without losing work (SIGTERM, a rolling restart): readiness
 * fails at once and new streams are refused with the retryable `server_draining`, while running
 * streams may finish for up to DRAIN_TIMEOUT; those still running then are aborted, and their
 * transports end them with the same code. Then the HTTP listener closes and the transports send
 * their sockets elsewhere; the app's own shutdown (Redis last) comes after.
 *
 * The transports own their streams' AbortControllers and register each one here (`admit`).
 */
@Injectable()
export class DrainService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DrainService.name);
  private readonly streams = new Set<AbortController>();
  private readonly listeners: DrainListener[] = [];
  private onIdle: (() => void) | null = null;
  private started = false;
  private run: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'drainTimeoutMs'>,
    private readonly http: HttpAdapterHost,
    private readonly metrics: Metrics,
  ) {}

  /** True from the start of the drain: readiness fails and new work is refused. */
  get draining(): boolean {
    return this.started;
  }

  /** Streams running now. */
  get running(): number {
    return this.streams.size;
  }

  onApplicationBootstrap(): void {
    // A kept-alive connection would carry a balancer's next request back here; during a drain
    // every response is the last on its connection.
    this.httpServer()?.prependListener('request', (_request, response: ServerResponse) => {
      if (this.started && !response.headersSent) response.setHeader('Connection', 'close');
    });
  }

  subscribe(listener: DrainListener): void {
    this.listeners.push(listener);
  }

  /** Registers a running stream, or refuses it (null) while draining: the transport then answers `server_draining`. */
  admit(abort: AbortController): StreamTicket | null {
    if (this.started) return null;
    this.streams.add(abort);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.streams.delete(abort);
        if (this.streams.size === 0) this.onIdle?.();
      },
    };
  }

  /** Starts the drain (once; later calls return the same promise), which settles when it is complete. */
  drain(): Promise<void> {
    this.run ??= this.drainOnce();
    return this.run;
  }

  /** Ends every running stream now with `server_draining`, rather than waiting out DRAIN_TIMEOUT (a second SIGTERM). */
  endStreams(): void {
    for (const abort of this.streams) abort.abort(new DrainAbort());
  }

  private async drainOnce(): Promise<void> {
    this.started = true;
    this.metrics.setDraining(true);
    const timeoutMs = this.config.drainTimeoutMs;
    this.logger.log(`Draining: new streams are refused; ${streams(this.streams.size)} running may finish within ${timeoutMs} ms`);
    void this.notify('drainStarted');
    if (!(await this.streamsEnd(timeoutMs))) {
      this.logger.warn(`${streams(this.streams.size)} still running after ${timeoutMs} ms; ending them with server_draining`);
      this.endStreams();
      if (!(await this.streamsEnd(SETTLE_MS))) {
        this.logger.error(`${streams(this.streams.size)} did not end within ${SETTLE_MS} ms of being aborted; closing anyway`);
      }
    }
    // Not awaited: close() calls back only once every connection has gone, sockets included,
    // and those are sent away just below. Idle keep-alive connections close here.
    const server = this.httpServer();
    if (server?.listening) server.close();
    await this.notify('drained');
    this.logger.log('Drained');
  }

  /** True once no stream runs; false if `timeoutMs` passes first. */
  private streamsEnd(timeoutMs: number): Promise<boolean> {
    if (this.streams.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onIdle = null;
        resolve(false);
      }, timeoutMs);
      this.onIdle = () => {
        clearTimeout(timer);
        this.onIdle = null;
        resolve(true);
      };
    });
  }

  /** Tells every listener; one transport's failure must not keep the other from draining. */
  private async notify(phase: keyof DrainListener): Promise<void> {
    const failed = (error: unknown): void =>
      this.logger.error(`A drain listener failed at ${phase}: ${error instanceof Error ? error.message : String(error)}`);
    const farewells: Promise<void>[] = [];
    for (const listener of this.listeners) {
      try {
        const farewell = listener[phase]?.();
        if (farewell instanceof Promise) farewells.push(farewell.catch(failed));
      } catch (error) {
        failed(error);
      }
    }
    if (farewells.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), FAREWELL_MS)));
    if ((await Promise.race([Promise.all(farewells), late])) === 'late') {
      this.logger.warn(`Transports still saying goodbye after ${FAREWELL_MS} ms; closing anyway`);
    }
    clearTimeout(timer);
  }

  private httpServer(): Server | undefined {
    return this.http.httpAdapter?.getHttpServer() as Server | undefined;
  }
}

function streams(count: number): string {
  return `${count} ${count === 1 ? 'stream' : 'streams'}`;
}
