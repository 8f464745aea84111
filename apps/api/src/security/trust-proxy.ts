import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config/app-config';

/** Injection token of the compiled TRUST_PROXY rule. */
export const TRUST_FUNCTION = Symbol('TRUST_FUNCTION');

/** Whether the hop at `address` (0 = the direct peer) may speak for the client through forwarding headers. */
export type TrustFunction = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as one function, given to Express (`trust proxy`) and used for socket handshakes,
 * so both read the same client address and protocol from the same hops.
 */
export function compileTrust(setting: TrustProxy): TrustFunction {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyaddr.compile(setting);
}

/** The client's address, as Express's `req.ip` reads it. */
export function clientAddressOf(req: IncomingMessage, trust: TrustFunction): string {
  return proxyaddr(req, trust);
}

/** The request's protocol, as Express's `req.protocol` reads it: X-Forwarded-Proto only from a trusted peer. */
export function protocolOf(req: IncomingMessage, trust: TrustFunction): 'http' | 'https' {
  const direct = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  if (!trust(req.socket.remoteAddress ?? '', 0)) return direct;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : undefined;
  return first === 'https' || first === 'http' ? first : direct;
}
