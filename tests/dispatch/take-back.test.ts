// Issue 16, threads: no call waits in one worker's hands while another worker is idle. An idle
// worker takes back calls handed ahead to a busy worker and not started (the same compare-exchange
// on the start flags that cancel() uses), so each runs exactly once.

import { ThreadPoolExecutor, type Future } from 'concurrent-futures';
import { cleanUpAfterEach, track, within, work } from './support.js';

cleanUpAfterEach();

/** Waits (without blocking its thread) until the test sets the gate; a slow page. */
async function slowPage(gate: SharedArrayBuffer): Promise<string> {
  const flag = new Int32Array(gate);
  while (Atomics.load(flag, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return 'slow';
}

async function fastPage(n: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return n;
}

// Whichever of the six is the slow page: a sixth call is handed ahead to some busy worker.
test.each([0, 1, 2, 3, 4, 5])(
  'the URL job: five workers, six pages, the slow one is page %i: the fast pages do not wait for it',
  async (slowAt) => {
    const pool = track(new ThreadPoolExecutor({ maxWorkers: 5 }));
    const gate = new SharedArrayBuffer(4);
    let slow: Future<string> | undefined;
    const fast: Future<number>[] = [];
    for (let page = 0; page < 6; page++) {
      if (page === slowAt) slow = pool.submit(slowPage, gate);
      else fast.push(pool.submit(fastPage, page));
    }
    try {
      const pages = await within(
        Promise.all(fast.map((future) => future.result())),
        10_000,
        'the fast pages (one is held behind the slow page)',
      );
      expect(pages).toEqual([0, 1, 2, 3, 4, 5].filter((page) => page !== slowAt));
      expect(slow!.done()).toBe(false);
    } finally {
      Atomics.store(new Int32Array(gate), 0, 1); // else the pool's clean-up waits for it forever
    }
    await expect(slow!.result()).resolves.toBe('slow');
  },
);

test('calls taken back run exactly once, and none is lost', async () => {
  const pool = track(new ThreadPoolExecutor({ maxWorkers: 4 }));
  const counter = new SharedArrayBuffer(4 * 512);
  function count(shared: SharedArrayBuffer, i: number, ms: number): number {
    Atomics.add(new Int32Array(shared), i, 1);
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    return i;
  }
  // Fast calls (long windows) mixed with slow ones, so workers fall idle while others hold calls.
  for (let round = 0; round < 4; round++) {
    const futures = Array.from({ length: 128 }, (_, k) =>
      pool.submit(count, counter, round * 128 + k, k % 16 === 0 ? 20 : 0),
    );
    const results = await Promise.all(futures.map((future) => future.result()));
    expect(results).toEqual(Array.from({ length: 128 }, (_, k) => round * 128 + k));
  }
  expect([...new Int32Array(counter)].every((runs) => runs === 1)).toBe(true);
});

test('a call taken back can still be cancelled until it starts', async () => {
  const pool = track(new ThreadPoolExecutor({ maxWorkers: 2 }));
  const gate = new SharedArrayBuffer(4);
  const slow = pool.submit(slowPage, gate);
  const other = pool.submit(work, 0); // the other worker, soon idle
  await other.result();
  const held = pool.submit(work, 0); // handed ahead to a worker; taken back if it waits
  await within(held.result(), 15_000, 'the call held behind the slow page');
  const gated = Array.from({ length: 3 }, () => pool.submit(slowPage, gate));
  // One starts on the idle worker; the others wait: cancel() is exact for them wherever they are.
  const cancelled = gated.filter((future) => future.cancel());
  expect(cancelled.length).toBeGreaterThanOrEqual(1);
  Atomics.store(new Int32Array(gate), 0, 1);
  await slow.result();
  for (const future of gated) {
    if (cancelled.includes(future)) expect(future.cancelled()).toBe(true);
    else await expect(future.result()).resolves.toBe('slow');
  }
});
