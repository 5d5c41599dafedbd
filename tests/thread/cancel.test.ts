// Exact cancellation of calls handed ahead to a worker: a call counts as running only once its
// worker starts it, so cancel(), a map that ends early and shutdown({ cancelFutures: true }) never
// let a call start that they cancelled. Each call records its run in a SharedArrayBuffer (shared
// with the worker, not copied), so the test sees exactly which calls ran.

import { ThreadPoolExecutor } from 'concurrent-futures';
import { Gate, block, record, until, warmUp } from './helpers.js';

const N = 500;

test('cancel() on calls handed ahead to a busy worker: each returns true and none ever runs', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  await warmUp(executor);
  const gate = new Gate(N);
  const slow = executor.submit(block, gate.sab, 'slow');
  const fast = Array.from({ length: N }, (_, i) => executor.submit(record, gate.sab, i));
  await gate.started();
  // The worker holds the slow call and, handed ahead, many of the fast ones.
  expect(slow.running()).toBe(true);
  expect(slow.cancel()).toBe(false);
  for (const future of fast) expect(future.running()).toBe(false);
  for (const future of fast) expect(future.cancel()).toBe(true);
  for (const future of fast) {
    expect(future.cancelled()).toBe(true);
    expect(future.done()).toBe(true);
    expect(future.running()).toBe(false);
  }
  gate.release();
  expect(await slow).toBe('slow');
  // Everything the worker was given has been answered once a later call comes back.
  expect(await executor.submit(record, gate.sab, 0)).toBe(0);
  expect(gate.runs(0)).toBe(1);
  expect(gate.totalRuns()).toBe(1);
  for (const future of fast) await expect(future.result()).rejects.toThrow(/cancel/i);
});

test('cancelling some handed-ahead calls leaves the others to run exactly once, in order', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  await warmUp(executor);
  const gate = new Gate(N);
  const order = new SharedArrayBuffer(4 * (N + 1));
  const slow = executor.submit(block, gate.sab);
  const noteOrder = (sab: SharedArrayBuffer, orderSab: SharedArrayBuffer, i: number): number => {
    Atomics.add(new Int32Array(sab), 2 + i, 1);
    const log = new Int32Array(orderSab);
    log[1 + Atomics.add(log, 0, 1)] = i;
    return i;
  };
  const fast = Array.from({ length: N }, (_, i) => executor.submit(noteOrder, gate.sab, order, i));
  await gate.started();
  for (let i = 0; i < N; i += 2) expect(fast[i]!.cancel()).toBe(true);
  gate.release();
  await slow;
  for (let i = 1; i < N; i += 2) expect(await fast[i]!).toBe(i);
  for (let i = 0; i < N; i++) expect(gate.runs(i)).toBe(i % 2);
  const log = new Int32Array(order);
  expect(Array.from(log.subarray(1, 1 + log[0]!))).toEqual(
    Array.from({ length: N / 2 }, (_, k) => 2 * k + 1),
  );
});

test('running() answers as soon as the worker starts a call, before any message comes back', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  await warmUp(executor);
  const first = new Gate();
  const second = new Gate();
  const a = executor.submit(block, first.sab, 'a');
  const b = executor.submit(block, second.sab, 'b');
  await first.started();
  expect([a.running(), b.running()]).toEqual([true, false]);
  first.release();
  await second.started();
  // b was handed ahead; the worker claimed it, so it runs and can no longer be cancelled,
  // whether or not a's result has reached us yet.
  expect(b.running()).toBe(true);
  expect(b.cancel()).toBe(false);
  second.release();
  expect(await Promise.all([a, b])).toEqual(['a', 'b']);
});

test('a map that ends early (break) cancels every call not started, handed ahead or not', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  await warmUp(executor);
  const gate = new Gate(N);
  // Item 0 returns at once; item 1 holds the worker (asynchronously, so the worker can report
  // item 0 meanwhile) until the test lets it go; the rest only record that they ran.
  const step = async (sab: SharedArrayBuffer, i: number): Promise<number> => {
    const view = new Int32Array(sab);
    if (i === 1) {
      Atomics.store(view, 0, 1);
      // Atomics.waitAsync is in Node 20, not in this project's ES2023 lib typings.
      const waitAsync = (
        Atomics as unknown as {
          waitAsync(
            a: Int32Array,
            i: number,
            v: number,
            t: number,
          ): { async: boolean; value: unknown };
        }
      ).waitAsync;
      const waited = waitAsync(view, 1, 0, 20000);
      if (waited.async) await waited.value;
    } else if (i > 1) {
      Atomics.add(view, 2 + i, 1);
    }
    return i;
  };
  const results: number[] = [];
  for await (const value of executor.map(
    step,
    Array(N + 2).fill(gate.sab),
    Array.from({ length: N + 2 }, (_, i) => i),
  )) {
    results.push(value);
    await gate.started();
    break;
  }
  gate.release();
  expect(results).toEqual([0]);
  expect(await executor.submit(() => 'after')).toBe('after');
  expect(gate.totalRuns()).toBe(0);
});

test('a map whose iterator is returned while a call blocks the worker runs none of the rest', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  await warmUp(executor);
  const gate = new Gate(N);
  const step = (sab: SharedArrayBuffer, i: number): number => {
    const view = new Int32Array(sab);
    if (i === 0) {
      Atomics.store(view, 0, 1);
      Atomics.wait(view, 1, 0, 20000);
    } else {
      Atomics.add(view, 2 + i, 1);
    }
    return i;
  };
  const iterator = executor.map(
    step,
    Array(N).fill(gate.sab),
    Array.from({ length: N }, (_, i) => i),
  );
  await gate.started();
  await iterator.return!();
  gate.release();
  expect(await executor.submit(() => 'after')).toBe('after');
  expect(gate.totalRuns()).toBe(0);
});

test('shutdown({ cancelFutures: true }) cancels the handed-ahead calls too; none runs', async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  await warmUp(executor);
  const gate = new Gate(N);
  const slow = executor.submit(block, gate.sab);
  const fast = Array.from({ length: N }, (_, i) => executor.submit(record, gate.sab, i));
  await gate.started();
  const shut = executor.shutdown({ cancelFutures: true });
  expect(fast.every((future) => future.cancelled())).toBe(true);
  expect(slow.cancelled()).toBe(false);
  gate.release();
  await shut;
  expect(await slow).toBe('released');
  expect(gate.totalRuns()).toBe(0);
  expect(executor.workerIds).toEqual([]);
});

test('with several workers, cancel() after a burst leaves nothing to run', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 3 });
  const gates = [new Gate(), new Gate(), new Gate()];
  const counters = new Gate(N);
  const slow = gates.map((gate) => executor.submit(block, gate.sab));
  await until(
    () => gates.every((gate) => Atomics.load(gate.view, 0) === 1),
    'three workers blocked',
  );
  const fast = Array.from({ length: N }, (_, i) => executor.submit(record, counters.sab, i));
  await new Promise((resolve) => setTimeout(resolve, 20)); // let them be handed out
  expect(fast.map((future) => future.cancel()).every(Boolean)).toBe(true);
  for (const gate of gates) gate.release();
  await Promise.all(slow);
  expect(await executor.submit(() => 'after')).toBe('after');
  expect(counters.totalRuns()).toBe(0);
});
