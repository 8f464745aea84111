import type { ChildProcess } from 'node:child_process';

/** A request to a child process over its IPC channel, answered by a message with the same id. */
export interface IpcRequest {
  id: number;
  op: string;
  args?: unknown;
}

export interface IpcReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

let nextId = 1;

export function ask<T>(child: ChildProcess, op: string, args?: unknown, timeoutMs = 10_000): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`child ${child.pid} did not answer "${op}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: unknown): void => {
      const reply = message as IpcReply;
      if (typeof reply !== 'object' || reply === null || reply.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      if (reply.ok) resolve(reply.value as T);
      else reject(new Error(`${op} failed in child ${child.pid}: ${reply.error}`));
    };
    child.on('message', onMessage);
    child.send({ id, op, args } satisfies IpcRequest);
  });
}

/** Serves requests from the parent; `handlers` map an op to its answer. */
export function serve(handlers: Record<string, (args: unknown) => unknown>): void {
  process.on('message', (message: unknown) => {
    const request = message as IpcRequest;
    if (typeof request !== 'object' || request === null || typeof request.op !== 'string') return;
    const handler = handlers[request.op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown op ${request.op}`);
        return handler(request.args);
      })
      .then(
        (value) => process.send?.({ id: request.id, ok: true, value } satisfies IpcReply),
        (error: unknown) => process.send?.({ id: request.id, ok: false, error: String(error) } satisfies IpcReply),
      );
  });
}
