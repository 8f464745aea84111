import type { IncomingMessage } from 'node:http';
import { API_ROUTES, type ApiErrorBody } from '@byok/contracts';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { type HostRule, parseHost } from '../config/config-parsers';

/**
 * Whether a request names a host this deployment serves. Without this, a page on any domain
 * that resolves to the server (DNS rebinding) is same-origin with it, Origin checks included.
 */
export function hostAllowed(header: string | undefined, rules: readonly HostRule[]): boolean {
  const host = header === undefined ? null : parseHost(header);
  if (!host) return false;
  return rules.some(
    (rule) =>
      (rule.port === undefined || rule.port === host.port) &&
      (host.hostname === rule.hostname || (rule.subdomains && host.hostname.endsWith(`.${rule.hostname}`))),
  );
}

export const HOST_REFUSED_MESSAGE =
  'This server does not answer for the host name this request was sent to; its administrator lists the names it serves in ALLOWED_HOSTS.';

/** Health probes address an instance by its own IP, so they are answered whatever the Host. */
function isHealthProbe(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0];
  return path === API_ROUTES.health || path.startsWith(`${API_ROUTES.health}/`);
}

/**
 * Refuses HTTP requests for any other host with 421 Misdirected Request, before anything else
 * runs (static files, sessions, routes). The socket handshake applies `hostAllowed` itself.
 */
export function hostGuard(rules: readonly HostRule[]): (req: Request, res: Response, next: NextFunction) => void {
  const logger = new Logger('HostPolicy');
  return (req, res, next) => {
    if (isHealthProbe(req) || hostAllowed(req.headers.host, rules)) {
      next();
      return;
    }
    const body: ApiErrorBody = { statusCode: 421, code: 'host_not_allowed', message: HOST_REFUSED_MESSAGE };
    // The Host itself is not logged: it is whatever the client chose to send.
    logger.warn(`Refused a ${req.method} request: its Host is not in ALLOWED_HOSTS`);
    res.status(421).json(body);
  };
}
