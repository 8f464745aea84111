import { API_ROUTES, XSRF_COOKIE_NAME, XSRF_HEADER_NAME } from '@byok/contracts';
import { Agent, fetch as fetchFrom } from 'undici';
import { leakAudit } from './leak-audit';

export interface ClientResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * Talks to API instances over real HTTP the way a browser does: keeps cookies (shared across
 * instances, as one site behind a load balancer) and echoes XSRF-TOKEN as X-XSRF-TOKEN.
 */
export class BrowserClient {
  readonly cookies = new Map<string, string>();
  /** Every response body this client received, for scanning them for key text. */
  readonly received: string[] = [];

  private readonly source: Agent | null;

  /**
   * `options.headers` go with every request (an auth proxy's identity headers); `options.localAddress`
   * is the loopback address requests come from (127.0.0.2 …), to be a peer TRUST_PROXY does or does not name.
   */
  constructor(
    public baseUrl: string,
    readonly options: { headers?: Record<string, string>; localAddress?: string } = {},
  ) {
    this.source = options.localAddress ? new Agent({
          localAddress: options.localAddress,
          // Idle connections close at once, so a test file's clients leave nothing open behind them.
          keepAliveTimeout: 10,
          keepAliveMaxTimeout: 10,
        }) : null;
  }

  /** Closes the connections of a client with its own source address (the shared fetch pool closes itself). */
  async close(): Promise<void> {
    await this.source?.close();
  }

  /** Adds cookies as a `Cookie` header gives them (what a sign-in left behind). */
  adoptCookies(cookieHeader: string): void {
    for (const pair of cookieHeader.split(/;\s*/)) {
      const separator = pair.indexOf('=');
      if (separator > 0) this.cookies.set(pair.slice(0, separator), decodeURIComponent(pair.slice(separator + 1)));
    }
  }

  get<T = unknown>(path: string, headers: Record<string, string> = {}): Promise<ClientResponse<T>> {
    return this.request<T>('GET', path, undefined, headers);
  }

  post<T = unknown>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<ClientResponse<T>> {
    return this.request<T>('POST', path, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  postRaw<T = unknown>(path: string, raw: string, headers: Record<string, string> = {}): Promise<ClientResponse<T>> {
    return this.request<T>('POST', path, raw, { 'content-type': 'application/json', ...headers });
  }

  /** Loads the key list once so the CSRF cookie exists, as the web app does on start. */
  async prime(): Promise<void> {
    await this.get(API_ROUTES.providerKeys);
  }

  async request<T>(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<ClientResponse<T>> {
    leakAudit.registerKeysInBody(body);
    const xsrf = this.cookies.get(XSRF_COOKIE_NAME);
    const init = {
      method,
      body,
      redirect: 'manual' as const,
      headers: {
        ...this.options.headers,
        ...(this.cookies.size > 0 ? { cookie: this.cookieHeader() } : {}),
        ...(xsrf && method !== 'GET' ? { [XSRF_HEADER_NAME]: xsrf } : {}),
        ...headers,
      },
    };
    const url = `${this.baseUrl}${path}`;
    const response = this.source ? await fetchFrom(url, { ...init, dispatcher: this.source }) : await fetch(url, init);
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair] = setCookie.split(';');
      const separator = pair.indexOf('=');
      this.cookies.set(pair.slice(0, separator), decodeURIComponent(pair.slice(separator + 1)));
    }
    const text = await response.text();
    this.received.push(text);
    leakAudit.payload('http', text);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (e.g. an HTML page): tests then assert on `text`.
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('; ');
  }
}
