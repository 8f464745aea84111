import { createServer, type Server } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ApiErrorBody } from '@byok/contracts';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Metrics } from './metrics';
import { METRICS_PATH, respondWithMetrics } from './metrics-route';

const NOT_FOUND: ApiErrorBody = { statusCode: 404, code: 'not_found', message: `This port serves GET ${METRICS_PATH} only.` };

/**
 * METRICS_PORT: a plain HTTP server on HOST:METRICS_PORT that answers GET /metrics and nothing
 * else. It skips the ALLOWED_HOSTS check on purpose: Prometheus on the private network addresses
 * each instance by its own IP (as health probes do), and the page holds no cookie, session or
 * script for a rebinding page to use; keeping the port off the public network is the deployer's part.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.metricsPort;
    if (port === null) return;
    const server = createServer((req, res) => {
      if (req.method === 'GET' && (req.url ?? '').split('?')[0] === METRICS_PATH) {
        void respondWithMetrics(this.metrics, res);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(NOT_FOUND));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new Error(`METRICS_PORT: cannot listen on ${this.config.host}:${port}: ${error.message}`)));
      server.listen(port, this.config.host, () => resolve());
    });
    server.on('error', (error) => new Logger('Metrics').error(`Metrics server error: ${error.message}`));
    this.server = server;
    new Logger('Metrics').log(`Serving GET ${METRICS_PATH} on ${this.config.host}:${port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // A scraper keeps its connection alive between scrapes; close() alone would wait for it.
      server.closeAllConnections();
    });
  }
}
