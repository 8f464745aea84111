import type { StreamSettings } from './options';

/** The chunks an answer is streamed in; joined, they are the full answer text. */
export function replyChunks(settings: StreamSettings): string[] {
  if (settings.chunks !== null) {
    return [...settings.chunks];
  }
  const count = Math.max(1, Math.floor(settings.chunkCount));
  if (settings.text === null) {
    return numberedSentences(count);
  }
  return splitEvenly(settings.text, count);
}

/** Each sentence names its position, so a test can see reordered or missing chunks. */
function numberedSentences(count: number): string[] {
  return Array.from(
    { length: count },
    (_, index) => `${index === 0 ? '' : ' '}Chunk ${index + 1} of ${count} from the fake upstream.`,
  );
}

/** Splits by code point so a chunk boundary never cuts a surrogate pair in half. */
function splitEvenly(text: string, count: number): string[] {
  const codePoints = Array.from(text);
  if (codePoints.length === 0) {
    return [''];
  }
  const pieces = Math.min(count, codePoints.length);
  const chunks: string[] = [];
  for (let index = 0; index < pieces; index += 1) {
    const start = Math.floor((index * codePoints.length) / pieces);
    const end = Math.floor(((index + 1) * codePoints.length) / pieces);
    chunks.push(codePoints.slice(start, end).join(''));
  }
  return chunks;
}

/** A stable stand-in for a tokenizer: about four characters per token, never zero. */
export function approximateTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}
