// Regressions found in review: each test failed before its fix.

import { EventLoopExecutor, asCompleted, Future } from '../../src/index.js';
import { waiterCount } from '../../src/future.js';
import { InlineExecutor } from './support/inline-executor.js';

test('asCompleted: return() while a next() waits ends that next() with done, instead of leaving it pending', async () => {
  const pending = new Future<number>();
  const iterator = asCompleted([pending]);
  const step = iterator.next();
  await new Promise((resolve) => setImmediate(resolve)); // the step is asleep, waiting for a future
  await iterator.return!();
  await expect(step).resolves.toEqual({ done: true, value: undefined });
  expect(waiterCount(pending)).toBe(0);
});

test('map() on a shut-down executor throws at once, even over an async iterable', async () => {
  const executor = new InlineExecutor();
  await executor.shutdown();
  async function* numbers(): AsyncGenerator<number> {
    yield 1;
  }
  expect(() => executor.map((x: number) => x, numbers())).toThrow(/shutdown/);
});

test("map(): a signal that aborts while a step awaits a call's result ends that step with the reason", async () => {
  const executor = new EventLoopExecutor({ maxWorkers: 1 });
  const controller = new AbortController();
  const started: number[] = [];
  const never = (x: number): Promise<number> => {
    started.push(x);
    return new Promise<number>(() => undefined);
  };
  const iterator = executor.map(never, [1, 2], { signal: controller.signal });
  const step = iterator.next();
  await new Promise((resolve) => setImmediate(resolve));
  const reason = new Error('stop');
  controller.abort(reason);
  await expect(step).rejects.toBe(reason);
  expect(started).toEqual([1]); // the second call was cancelled before it started
  await executor.shutdown(); // resolves: the ended call no longer holds its slot
});
