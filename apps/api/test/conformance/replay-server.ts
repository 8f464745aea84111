import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Transcript } from './transcripts/transcript';

/** A request as the replay server received it; headers are left out, since they carry the key. */
export interface ReceivedRequest {
  method: string;
  /** Path and query. */
  url: string;
  body: unknown;
}

/**
 * Answers every request with the transcript it was last given, writing the body one part per
 * write over real HTTP on 127.0.0.1, so clients meet the reads the provider's writes make.
 */
export class ReplayServer {
  readonly received: ReceivedRequest[] = [];
  private transcript: Transcript | null = null;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ReplayServer> {
    const server = createServer();
    const replay = new ReplayServer(server);
    server.on('request', (request, response) => {
      // A replay that breaks is a broken answer the client sees, never a silent pass.
      replay.answer(request, response).catch((error: unknown) => response.destroy(error instanceof Error ? error : new Error(String(error))));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return replay;
  }

  get origin(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The transcript every following request is answered with. */
  play(transcript: Transcript): void {
    this.transcript = transcript;
    this.received.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await bodyOf(request);
    this.received.push({ method: request.method ?? '', url: request.url ?? '', body });
    const transcript = this.transcript;
    if (!transcript) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('no transcript to replay');
      return;
    }
    // Each write its own segment: without this, Nagle's algorithm would merge small writes.
    response.socket?.setNoDelay(true);
    response.writeHead(transcript.status, transcript.headers);
    // Headers on their own: otherwise Node sends them with the first part and the client reads
    // the first two parts at once.
    response.flushHeaders();
    await new Promise((resolve) => setImmediate(resolve));
    for (const part of transcript.parts) {
      // A client that gave up (an SDK that stops reading after the usage chunk) destroys the response.
      if (response.destroyed) return;
      await writeThenYield(response, part);
    }
    if (transcript.ending === 'cut') {
      response.socket?.destroy();
    } else {
      response.end();
    }
  }
}

/** Resolves once the part is handed to the socket and the event loop has turned, so writes stay apart. */
function writeThenYield(response: ServerResponse, part: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    // A write to a destroyed socket fails; the check before the next write ends the replay.
    response.write(part, () => setImmediate(resolve));
  });
}

async function bodyOf(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : null;
}
