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

  test('a call its thread had finished is never said to be cut off: its result arrives, or its loss is named', async () => {
    // Each call marks its slot before it returns; ending the pool mid-burst catches calls in every
    // state: queued, handed ahead, running, finished with their results still in the thread's batch.
    const count = 2000;
    const marks = new SharedArrayBuffer(4 * count);
    const work = (sab: SharedArrayBuffer, i: number): number => {
      let sum = 0;
      for (let k = 0; k < 2e5; k++) sum += k;
      Atomics.store(new Int32Array(sab), i, 1);
      return sum > 0 ? i : -1;
    };
    const executor = new ThreadPoolExecutor({ maxWorkers: 2, endGraceMs: 50 });
    const futures = Array.from({ length: count }, (_, i) => executor.submit(work, marks, i));
    await until(() => futures.filter((future) => future.done()).length >= 100, 'a few results');
    await executor[method]();
    const finished = new Int32Array(marks);
    const outcomes = await Promise.allSettled(futures.map((future) => future.result(20_000)));
    let cutOffYetFinished = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') {
        expect([outcome.value, Atomics.load(finished, i)]).toEqual([i, 1]);
        return;
      }
      const error = outcome.reason as Error;
      if (futures[i]!.cancelled()) {
        expect(Atomics.load(finished, i)).toBe(0);
      } else if (/^This call ran to its end, but its result was lost/.test(error.message)) {
        expect(Atomics.load(finished, i)).toBe(1);
      } else {
        // Cut off while it ran. Its future fails at once, and the call may still reach its mark
        // before its thread is ended: only the call each thread was running, one per thread.
        expect(error.name).toBe('BrokenThreadPool');
        if (Atomics.load(finished, i) === 1) cutOffYetFinished++;
      }
    });
    // Before finished calls were told apart, a dozen or more per run failed as cut off.
    expect(cutOffYetFinished).toBeLessThanOrEqual(2);
    // Some calls were delivered: the pool was ended mid-burst, not before or after it.
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled').length).toBeGreaterThan(0);
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
