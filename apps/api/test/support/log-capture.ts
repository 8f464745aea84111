import { Writable } from 'node:stream';
import { auditLabel, leakAudit } from './leak-audit';

/** Collects every log line an app instance writes, for asserting what never appears in them. */
export class LogCapture extends Writable {
  private readonly chunks: string[] = [];
  /** Names this instance's log in the run-wide leak audit. */
  readonly auditLabel = auditLabel('api');

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const text = chunk.toString();
    this.chunks.push(text);
    leakAudit.log(this.auditLabel, text);
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }

  lines(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
