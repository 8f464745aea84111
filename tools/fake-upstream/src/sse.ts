/**
 * One server-sent event. Gemini ends events with CRLF pairs, OpenAI and Anthropic with LF
 * pairs; both are valid SSE, and mirroring each keeps client parsers honest.
 */
export function sseFrame(data: unknown, options: { event?: string; newline?: '\n' | '\r\n' } = {}): string {
  const newline = options.newline ?? '\n';
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  const eventLine = options.event === undefined ? '' : `event: ${options.event}${newline}`;
  return `${eventLine}data: ${payload}${newline}${newline}`;
}

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
