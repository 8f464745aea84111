import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent } from 'undici';
import { errorBodyOf, UpstreamError } from './upstream-error';

/**
 * The HTTP client of the chat hot path: one keep-alive pool per provider origin, so a stream
 * after the first skips the TCP and TLS handshakes. The SDKs, used for listing models, keep
 * their own fetch; this client carries only chat streams.
 */
@Injectable()
export class UpstreamHttp implements OnApplicationShutdown {
  // undici's idle timeout: 4 s, or what the provider's Keep-Alive header says.
  private readonly agent = new Agent();

  /**
   * POSTs a streaming request and resolves with the body once the provider answered 2xx. Any
   * other answer is read (bounded) and thrown as an UpstreamError carrying its status and error.
   */
  async openStream(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const response = await this.agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers,
      body,
      signal,
    });
    if (response.statusCode >= 200 && response.statusCode < 300) return response.body;
    const retryAfter = response.headers['retry-after'];
    throw new UpstreamError(
      'answer',
      response.statusCode,
      await errorBodyOf(response.body),
      typeof retryAfter === 'string' ? retryAfter : undefined,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}
