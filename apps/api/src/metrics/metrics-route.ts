import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Secret } from '../common/secret';
import type { Metrics } from './metrics';

/** Where Prometheus looks by default, on either port. */
export const METRICS_PATH = '/metrics';

/**
 * Whether an Authorization header carries the bearer token. Both sides are hashed first, so the
 * constant-time compare also hides the token's length.
 */
export function bearerMatches(header: string | undefined, token: Secret): boolean {
  const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  if (!match) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]), digest(token.reveal()));
}

/**
 * GET /metrics on the main port, for a request with the bearer token. Any other request passes
 * on and is answered as an unknown path is (the API's JSON 404, or the web app's page), so
 * nobody without the token can tell the endpoint exists.
 */
export function metricsRoute(metrics: Metrics, token: Secret): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    if (req.method !== 'GET' || req.path !== METRICS_PATH || !bearerMatches(req.headers.authorization, token)) {
      next();
      return;
    }
    void respondWithMetrics(metrics, res);
  };
}

/** One scrape as the response; shared by both ports. */
export async function respondWithMetrics(metrics: Metrics, res: ServerResponse): Promise<void> {
  try {
    const { contentType, body } = await metrics.scrape();
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    res.end(body);
  } catch (error) {
    // A collector that throws is a bug here or in prom-client; Prometheus records the failed scrape.
    new Logger('Metrics').error(`Scrape failed: ${error instanceof Error ? error.message : 'unknown error'}`);
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`metrics collection failed: ${error instanceof Error ? error.name : 'unknown error'}\n`);
  }
}
