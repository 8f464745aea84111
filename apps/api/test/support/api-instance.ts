import 'reflect-metadata';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { leakAudit } from './leak-audit';
import { LogCapture } from './log-capture';

/** Secrets every test instance shares, so instances on one Redis can read each other's sessions. */
export const TEST_SECRETS = {
  SESSION_SECRET: 'test-session-secret-0123456789abcdefghijkl',
  KEYSTORE_SECRETS: 'test-keystore-secret-0123456789abcdefghijk',
};

const NO_WEB_BUILD = join(tmpdir(), 'byok-tests-serve-no-web-app');

/**
 * A provider no test pointed at the fake upstream goes to a loopback port nothing listens on, never
 * to its public API: test traffic stays on this machine (the connection is refused at once).
 */
const NO_PUBLIC_UPSTREAMS = {
  OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
  ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
  GEMINI_BASE_URL: 'http://127.0.0.1:9',
};

/** A real API instance listening on a loopback port, with its logs captured. */
export class ApiInstance {
  private constructor(
    readonly app: NestExpressApplication,
    readonly url: string,
    readonly logs: LogCapture,
    private readonly connections: Set<Socket>,
  ) {}

  /** `port`: a fixed loopback port, where something must know the URL before the API starts (an IdP's redirect URI). */
  static async start(env: Record<string, string | undefined> = {}, port = 0): Promise<ApiInstance> {
    for (const [name, value] of Object.entries(env)) {
      if (name.endsWith('_API_KEY')) leakAudit.registerKey(value);
    }
    // API only unless a test asks for the web app: whether a build happens to be in dist/ must not change answers.
    const config = loadConfig({ ...TEST_SECRETS, ...NO_PUBLIC_UPSTREAMS, LOG_LEVEL: 'debug', WEB_ROOT: NO_WEB_BUILD, ...env });
    const logs = new LogCapture();
    leakAudit.event({ type: 'api-start', label: logs.auditLabel });
    // nestjs-pino keeps one process-wide logger for lines outside an HTTP request (socket
    // handlers, startup); several instances share a test process, so the newest one gets it.
    __resetOutOfContextForTests();
    const app = await createApp({ config, logDestination: logs });
    // Every TCP connection, upgraded WebSockets included, so crash() can cut them all.
    const connections = new Set<Socket>();
    app.getHttpServer().on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
    });
    await app.listen(port, '127.0.0.1');
    const address = app.getHttpServer().address();
    const listening = typeof address === 'object' && address ? address.port : 0;
    return new ApiInstance(app, `http://127.0.0.1:${listening}`, logs, connections);
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  /**
   * Dies as a killed process would, as far as its peers can tell: every connection is cut at
   * once (no close frame, no end of stream), then the app is torn down to free the port.
   */
  async crash(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    await this.app.close();
  }
}
