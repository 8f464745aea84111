import type { ChildProcess } from 'node:child_process';
import { API_ROUTES } from '@byok/contracts';
import { ask } from './ipc';
import type { ProbedProcess } from './processes';
import type { BenchSession } from './sessions';
import { GatewaySocket, httpStream, type StreamTrace } from './streams';

export const PROVIDER = 'openai';
export const MODEL = 'gpt-4o-mini';
export const MESSAGES = [{ role: 'user' as const, content: 'Say hello to the benchmark.' }];

/** What the OpenAI SDK sends for a chat stream; the direct and pipe targets send the same. */
const OPENAI_BODY = JSON.stringify({ model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
const GATEWAY_BODY = JSON.stringify({ id: 'sse', provider: PROVIDER, model: MODEL, messages: MESSAGES });

export type TargetName = 'direct' | 'pipe' | 'gateway-sse' | 'gateway-socket';

/** A way to run one stream of the same answer, straight to the fake upstream or through a hop. */
export interface Target {
  name: TargetName;
  run(): Promise<StreamTrace>;
  /** The process between the client and the upstream (the pipe or the API), whose CPU time is billed to the target. */
  hop?: ProbedProcess;
}

export function directTarget(name: 'direct' | 'pipe', baseUrl: string, apiKey: string, hop?: ProbedProcess): Target {
  const target = { url: baseUrl, path: '/openai/v1/chat/completions', headers: { authorization: `Bearer ${apiKey}` }, format: 'openai' as const };
  return { name, run: () => httpStream(target, OPENAI_BODY), hop };
}

export function sseTarget(api: ProbedProcess, session: BenchSession): Target {
  const target = { url: api.url, path: API_ROUTES.chatStream, headers: session.headers, format: 'gateway' as const };
  return { name: 'gateway-sse', run: () => httpStream(target, GATEWAY_BODY), hop: api };
}

export function socketTarget(socket: GatewaySocket, api: ProbedProcess): Target {
  return { name: 'gateway-socket', run: () => socket.stream({ provider: PROVIDER, model: MODEL, messages: MESSAGES }), hop: api };
}

/** The fake upstream process: how it answers, and what it has open. */
export class Upstream {
  constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** Sets how every answer is streamed; returns the chunks each stream must deliver, in order. */
  configure(settings: { chunkCount: number; chunkDelayMs: number; firstChunkDelayMs?: number; text?: string | null }): Promise<string[]> {
    return ask<string[]>(this.child, 'configure', { firstChunkDelayMs: 0, text: null, ...settings });
  }

  stats(): Promise<{ openConnections: number; openStreams: number }> {
    return ask(this.child, 'stats');
  }
}

/** Time to first token, and the gaps between chunks, of one stream. */
export function ttftOf(trace: StreamTrace): number | null {
  return trace.arrivals.length > 0 ? trace.arrivals[0] - trace.startedAt : null;
}

export function gapsOf(trace: StreamTrace): number[] {
  const gaps: number[] = [];
  for (let index = 1; index < trace.arrivals.length; index += 1) gaps.push(trace.arrivals[index] - trace.arrivals[index - 1]);
  return gaps;
}

/** Order of targets in round `round`: rotated, so no target always runs first after a pause. */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export function sameChunks(trace: StreamTrace, expected: readonly string[]): boolean {
  return trace.texts.length === expected.length && trace.texts.every((text, index) => text === expected[index]);
}
