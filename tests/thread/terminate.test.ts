// terminateWorkers() and killWorkers() on the thread pool, on real threads: the way out of a call
// stuck in synchronous code. terminateWorkers() aborts the running calls' currentSignal(), waits
// endGraceMs, then terminates; killWorkers() terminates at once; calls not started are cancelled.

import { BrokenThreadPool, ThreadPoolExecutor, type Future } from 'concurrent-futures';
import { until } from './helpers.js';

/** Never returns: a call stuck in synchronous code. Marks slot 0 when it starts. */
const stuck = (sab: SharedArrayBuffer): never => {
  Atomics.store(new Int32Array(sab), 0, 1);
  for (;;);
};

/** Cooperative: marks slot 0 when it starts, returns once its currentSignal() aborts and marks slot 1. */
const cooperative = async (sab: SharedArrayBuffer): Promise<string> => {
  const { currentSignal } = await import('concurrent-futures');
  const view = new Int32Array(sab);
  Atomics.store(view, 0, 1);
  const signal = currentSignal();
  while (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 2));
  Atomics.store(view, 1, 1);
  return 'stopped';
};

function started(sab: SharedArrayBuffer): Promise<void> {
  return until(() => Atomics.load(new Int32Array(sab), 0) === 1, 'the call started');
}

function queuedBehind(executor: ThreadPoolExecutor, count: number): Array<Future<number>> {
  return Array.from({ length: count }, (_, i) => executor.submit((x: number) => x, i));
}

describe.each(['terminateWorkers', 'killWorkers'] as const)('%s()', (method) => {
  test('ends a call stuck in synchronous code; its future fails, calls not started are cancelled', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1, endGraceMs: 50 });
    const sab = new SharedArrayBuffer(8);
    const running = executor.submit(stuck, sab);
    const waiting = queuedBehind(executor, 5);
    await started(sab);
    await executor[method]();
    await expect(running).rejects.toThrow(BrokenThreadPool);
    await expect(running).rejects.toThrow(new RegExp(`${method}\\(\\)`));
    for (const future of waiting) expect(future.cancelled()).toBe(true);
    expect(executor.workerIds).toHaveLength(0);
    expect(() => executor.submit((x: number) => x, 1)).toThrow(/shut down|shutdown/);
    const { calls } = executor.stats();
    expect(calls).toEqual({ queued: 0, running: 0, completed: 0, failed: 1, cancelled: 5 });
  });

  test('on an idle pool, or twice, it resolves', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2, minWorkers: 2 });
    await executor[method]();
    await executor[method]();
    expect(executor.workerIds).toHaveLength(0);
  });
});

test("terminateWorkers() aborts the running call's currentSignal() before ending its thread", async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1, endGraceMs: 10_000 });
  const sab = new SharedArrayBuffer(8);
  const running = executor.submit(cooperative, sab);
  await started(sab);
  // The call stops by itself on the abort, so the pool ends well before the long grace.
  await executor.terminateWorkers();
  expect(Atomics.load(new Int32Array(sab), 1)).toBe(1);
  await expect(running).rejects.toThrow(BrokenThreadPool); // failed at once, its late result ignored
});

test('killWorkers() does not wait for a cooperative call: the thread is terminated at once', async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1, endGraceMs: 10_000 });
  const sab = new SharedArrayBuffer(8);
  const running = executor.submit(cooperative, sab);
  await started(sab);
  await executor.killWorkers();
  expect(Atomics.load(new Int32Array(sab), 1)).toBe(0); // never saw an abort
  await expect(running).rejects.toThrow(BrokenThreadPool);
});
