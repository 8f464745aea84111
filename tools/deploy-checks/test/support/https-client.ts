import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { performance } from 'node:perf_hooks';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called per chunk of the body as it arrives, with its arrival time (performance.now()). */
  onChunk?: (chunk: string, at: number) => void;
}

/**
 * HTTPS to the cluster trusting only its self-signed certificate (no global
 * NODE_TLS_REJECT_UNAUTHORIZED), addressed by IP with the certificate's name for SNI.
 */
export function httpsRequest(ca: string, url: string, options: RequestOptions = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, ca, servername: 'localhost', agent: false },
      (res) => {
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (chunk: string) => {
          body += chunk;
          options.onChunk?.(chunk, performance.now());
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.once('error', reject);
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer from ${url} within 20 s`)));
    req.once('error', reject);
    req.end(options.body);
  });
}

export interface SetCookie {
  name: string;
  value: string;
  /** Lowercased attribute names, with their values ('' for flags). */
  attributes: Map<string, string>;
}

export function setCookies(headers: IncomingHttpHeaders): SetCookie[] {
  return (headers['set-cookie'] ?? []).map((line) => {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    return {
      name: pair.slice(0, separator),
      value: pair.slice(separator + 1),
      attributes: new Map(
        attributes.map((attribute) => {
          const at = attribute.indexOf('=');
          return at < 0 ? [attribute.toLowerCase(), ''] : [attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1)];
        }),
      ),
    };
  });
}

/** A browser-like session against the cluster: cookies kept, the XSRF token echoed, same Origin. */
export class ClusterClient {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly ca: string,
    /** The Origin a page served by the cluster sends. */
    readonly origin: string,
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async send(path: string, options: RequestOptions & { requestId?: string } = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { origin: this.origin, ...options.headers };
    if (this.cookies.size > 0) headers['cookie'] = this.cookieHeader();
    const xsrf = this.cookies.get('XSRF-TOKEN');
    if (xsrf) headers['x-xsrf-token'] = decodeURIComponent(xsrf);
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.requestId) headers['x-request-id'] = options.requestId;
    const response = await httpsRequest(this.ca, `${this.baseUrl}${path}`, { ...options, headers });
    for (const cookie of setCookies(response.headers)) this.cookies.set(cookie.name, cookie.value);
    return response;
  }
}
