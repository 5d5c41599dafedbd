// A local HTTP server for the URL example, so that it runs on a machine with no network: pages of
// known sizes, one slow page and one page that fails with status 500. Every response waits
// `latencyMs` first, as a page on the internet would.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PageServerOptions {
  /** Wait before every response, in ms. Default 100. */
  latencyMs?: number;
  /** Wait before the slow page's response, in ms. Default 5000: well past the example's call timeout. */
  slowMs?: number;
}

export interface PageServer {
  /** The pages to fetch, in order: what each should give (a byte count, 'fails', or 'slow': it answers after `slowMs`). */
  pages: Array<{ url: string; expect: number | 'fails' | 'slow' }>;
  /** The most requests the server answered at once since the last call (the first: since it started). */
  takePeakRequests(): number;
  close(): Promise<void>;
}

/** Sizes of the ordinary pages, in bytes. */
const SIZES = [1_000, 5_000, 10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000];
const SLOW_SIZE = 20_000; // if it is waited for at all

export async function startPageServer(options: PageServerOptions = {}): Promise<PageServer> {
  const latencyMs = options.latencyMs ?? 100;
  const slowMs = options.slowMs ?? 5000;
  let open = 0;
  let peak = 0;
  const server: Server = createServer((request, response) => {
    peak = Math.max(peak, ++open);
    response.on('close', () => open--);
    const path = request.url ?? '/';
    const page = /^\/pages\/(\d+)$/.exec(path);
    const slow = path === '/slow';
    setTimeout(
      () => {
        if (page !== null || slow) {
          const size = slow ? SLOW_SIZE : Number(page![1]);
          response.writeHead(200, { 'content-type': 'text/plain', 'content-length': size });
          response.end(Buffer.alloc(size, 'x'));
        } else if (path === '/fail') {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end('The server failed on purpose.');
        } else {
          response.writeHead(404).end();
        }
      },
      slow ? slowMs : latencyMs,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ordinary = SIZES.map((size) => ({ url: `${base}/pages/${size}`, expect: size }));
  // The slow page and the failing one sit among the others, so that when the failure comes some
  // pages are done, some running and some not started (which the wait() variant shows).
  const pages = [
    ...ordinary.slice(0, 2),
    { url: `${base}/slow`, expect: 'slow' as const },
    ...ordinary.slice(2, 3),
    { url: `${base}/fail`, expect: 'fails' as const },
    ...ordinary.slice(3),
  ];
  return {
    pages,
    takePeakRequests: () => {
      const taken = peak;
      peak = open;
      return taken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
