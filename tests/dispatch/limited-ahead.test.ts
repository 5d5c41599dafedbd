// Issue 16, threads: a call with a timeout or a signal may be handed ahead like any other call, and
// ending its worker loses nothing: the calls it finished are delivered, those it had not started
// run elsewhere, each exactly once.

import { ThreadPoolExecutor, TimeoutError } from 'concurrent-futures';
import { cleanUpAfterEach, track } from './support.js';

cleanUpAfterEach();

/** Counts its run in `counter[i]`, then takes `ms` (-1: forever, deaf to its signal). */
function counted(counter: SharedArrayBuffer, i: number, ms: number): number {
  Atomics.add(new Int32Array(counter), i, 1);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  if (ms < 0) for (;;) Atomics.wait(nap, 0, 0);
  if (ms > 0) Atomics.wait(nap, 0, 0, ms);
  return i;
}

test('a timed-out limited call whose worker is ended loses no other call', async () => {
  const pool = track(new ThreadPoolExecutor({ maxWorkers: 2, endGraceMs: 50 }));
  const N = 200;
  const counter = new SharedArrayBuffer(4 * (N + 1));
  // Calls of 2 ms: the pool hands them ahead, so both workers hold calls behind the stuck one.
  const before = Array.from({ length: N / 2 }, (_, i) => pool.submit(counted, counter, i, 2));
  const stuck = pool.schedule(counted, { args: [counter, N, -1], timeout: 100 });
  const after = Array.from({ length: N / 2 }, (_, i) =>
    pool.submit(counted, counter, N / 2 + i, 2),
  );
  await expect(stuck.result()).rejects.toBeInstanceOf(TimeoutError);
  const results = await Promise.all([...before, ...after].map((future) => future.result()));
  expect(results).toEqual(Array.from({ length: N }, (_, i) => i));
  const runs = [...new Int32Array(counter)];
  expect(runs.slice(0, N).every((count) => count === 1)).toBe(true);
  expect(runs[N]).toBe(1);
});

test('limited calls handed ahead to a busy worker can still be cancelled exactly', async () => {
  const pool = track(new ThreadPoolExecutor({ maxWorkers: 1 }));
  const counter = new SharedArrayBuffer(4 * 64);
  const gate = new SharedArrayBuffer(4);
  const blocker = pool.submit((shared: SharedArrayBuffer) => {
    Atomics.wait(new Int32Array(shared), 0, 0);
    return 'opened';
  }, gate);
  const limited = Array.from({ length: 8 }, (_, i) =>
    pool.schedule(counted, { args: [counter, i, 0], timeout: 60_000 }),
  );
  // Wait until the calls have been sent: none is in the pool's queue then, so a worker holds them.
  await new Promise((resolve) => setTimeout(resolve, 200));
  // Cancelled from the worker's hands, exactly: the start flag says none started.
  expect(limited.map((future) => future.cancel())).toEqual(Array(8).fill(true));
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  await expect(blocker.result()).resolves.toBe('opened');
  const again = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      pool.schedule(counted, { args: [counter, 10 + i, 0], timeout: 60_000 }).result(),
    ),
  );
  expect(again).toEqual([10, 11, 12, 13]);
  expect([...new Int32Array(counter)].slice(0, 8)).toEqual(Array(8).fill(0));
});
