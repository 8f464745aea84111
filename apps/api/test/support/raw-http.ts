import { request } from 'node:http';
import { leakAudit } from './leak-audit';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP/1.1 request with exactly the headers given, Host included (none unless given): fetch
 * always sends the URL's own Host, so rebinding and proxy-header cases need the plain client.
 */
export function rawRequest(
  baseUrl: string,
  path: string,
  /** `localAddress`: the loopback address to send from (127.0.0.2 …), to be a peer TRUST_PROXY does or does not name. */
  options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  leakAudit.registerKeysInBody(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        setHost: false,
        agent: false,
        localAddress: options.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          leakAudit.payload('http', text);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
