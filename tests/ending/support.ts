// What the ending suite itself uses (never submitted): a local server that never answers, waiting
// for a condition with a generous bound, and reading what a failed promise failed with.

import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP server on 127.0.0.1 that never answers requests for `url`. It answers `readyUrl` at
 * once, so that a worker can load fetch() before a call that is timed.
 */
export interface SilentServer {
  url: string;
  readyUrl: string;
  /** Requests for `url` received so far. */
  requests(): number;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    if (request.url === '/ready') response.end('ready');
    else requests++; // and never answer
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slow`,
    readyUrl: `http://127.0.0.1:${port}/ready`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits for `condition`: a bound on how long, not an assertion about speed. */
export async function until(
  condition: () => boolean,
  what: string,
  limitMs = 20_000,
): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > limitMs) throw new Error(`Gave up waiting until ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What `promise` rejects with (fails the test if it resolves). */
export function errorOf(promise: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(promise).then(
    (value) => {
      throw new Error(`Expected a rejection, got ${String(value)}.`);
    },
    (error: unknown) => error,
  );
}

/** Whether process `pid` is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
