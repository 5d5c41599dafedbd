// The ThreadPoolExecutor example of Python's concurrent.futures documentation, ported:
//
//   with ThreadPoolExecutor(max_workers=5) as executor:
//       future_to_url = {executor.submit(load_url, url, 60): url for url in URLS}
//       for future in as_completed(future_to_url):
//           url = future_to_url[future]
//           try: data = future.result()
//           except Exception as exc: print('%r generated an exception: %s' % (url, exc))
//           else: print('%r page is %d bytes' % (url, len(data)))
//
// against a local HTTP server with pages of known sizes, one of which fails.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Future, ThreadPoolExecutor, asCompleted } from 'concurrent-futures';

const SIZES: Record<string, number> = { '/a': 1234, '/b': 56789, '/c': 0, '/d': 300000, '/e': 17 };
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const size = SIZES[request.url ?? ''];
    if (size === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    // Later pages answer sooner, so completion order differs from submission order.
    setTimeout(
      () => response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(size)),
      100 - size / 5000,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// Retrieve a single page and report the body's size: self-contained, it runs in a worker thread.
async function loadUrl(url: string, timeout: number): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeout * 1000) });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return (await response.arrayBuffer()).byteLength;
}

test('asCompleted over submit(loadUrl, url, timeout)', async () => {
  const urls = [...Object.keys(SIZES), '/missing'].map((path) => base + path);
  const lines: string[] = [];
  const completed: string[] = [];
  {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 5 });
    const futureToUrl = new Map<Future<number>, string>(
      urls.map((url) => [executor.submit(loadUrl, url, 60), url]),
    );
    for await (const future of asCompleted(futureToUrl.keys())) {
      const url = futureToUrl.get(future)!;
      completed.push(url);
      try {
        const data = await future.result();
        lines.push(`'${url}' page is ${data} bytes`);
      } catch (error) {
        lines.push(`'${url}' generated an exception: ${(error as Error).message}`);
      }
    }
  }
  expect(completed.sort()).toEqual([...urls].sort());
  expect(lines.sort()).toEqual(
    [
      ...Object.entries(SIZES).map(([path, size]) => `'${base}${path}' page is ${size} bytes`),
      `'${base}/missing' generated an exception: HTTP 404 for ${base}/missing`,
    ].sort(),
  );
});
