import type { ServerResponse } from 'node:http';
import type { WireReply } from './protocol';
import { now, type RecordedRequest, type Recorder, type RequestOutcome, type RequestPatch } from './recorder';

/**
 * One request/response pair and its record. It notices the client going away (the response
 * closing before it finished) and aborts `signal`, so pacing loops stop writing at once.
 */
export class Exchange {
  private readonly closed = new AbortController();
  private settled = false;
  private finalOutcome: RequestOutcome = 'completed';

  constructor(
    private readonly res: ServerResponse,
    private readonly recorder: Recorder,
    readonly record: RecordedRequest,
    private readonly isStopping: () => boolean,
  ) {
    res.on('finish', () => this.settle({ outcome: this.finalOutcome }));
    res.on('close', () => this.onClose());
  }

  /** Aborted once the response can no longer be written to, whoever ended it. */
  get signal(): AbortSignal {
    return this.closed.signal;
  }

  get isOpen(): boolean {
    return !this.closed.signal.aborted;
  }

  update(patch: RequestPatch): void {
    this.recorder.update(this.record, patch);
  }

  sendJson(reply: WireReply, outcome: RequestOutcome): void {
    if (!this.isOpen) return;
    this.finalOutcome = outcome;
    const body = JSON.stringify(reply.body);
    this.res.writeHead(reply.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      ...reply.headers,
    });
    this.update({ status: reply.status, respondedAt: now() });
    this.res.end(body);
  }

  beginStream(contentType: string, headers: Record<string, string> = {}): void {
    this.res.writeHead(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    this.res.flushHeaders();
    this.update({ status: 200, respondedAt: now() });
  }

  write(text: string | Buffer): void {
    if (this.isOpen) this.res.write(text);
  }

  chunkWritten(): void {
    const sent = this.record.chunksSent + 1;
    this.update({ chunksSent: sent, ...(sent === 1 ? { firstChunkAt: now() } : {}) });
  }

  /** Finishes a streamed body; `outcome` is recorded once the last byte has gone out. */
  end(outcome: RequestOutcome = 'completed'): void {
    if (!this.isOpen) return;
    this.finalOutcome = outcome;
    this.res.end();
  }

  /** Cuts the connection without finishing the body, as a crashing upstream would. */
  drop(): void {
    this.settle({ outcome: 'dropped' });
    this.res.socket?.destroy();
  }

  private onClose(): void {
    if (this.isStopping()) {
      this.settle({ outcome: 'closed-by-server' });
    } else {
      this.settle({ outcome: 'closed-by-client', closedAt: now() });
    }
  }

  private settle(patch: RequestPatch): void {
    if (!this.settled) {
      this.settled = true;
      this.update({ endedAt: now(), ...patch });
    }
    this.closed.abort();
  }
}
