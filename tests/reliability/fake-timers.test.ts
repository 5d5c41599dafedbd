// A test that installs jest's fake timers (jest.useFakeTimers(), jest 30's default: it fakes
// queueMicrotask, setTimeout, setImmediate, performance and Date) must still get its calls' results:
// the executors schedule their own work by node:timers and node:perf_hooks (src/timers.ts), which
// fake timers do not reach. Before, every submit on every executor hung, and so did shutdown().
// The EventLoopExecutor's p-queue starts its next job through the global queueMicrotask, which no
// option reaches: with it, a test keeps that one real (the guide says so).

import { afterEach, describe, expect, jest, test } from '@jest/globals';
import {
  EventLoopExecutor,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  TimeoutError,
  wait,
} from 'concurrent-futures';

afterEach(() => {
  jest.useRealTimers();
});

type FakeTimersConfig = Parameters<typeof jest.useFakeTimers>[0];

const kinds: Array<
  [string, () => ThreadPoolExecutor | ProcessPoolExecutor | EventLoopExecutor, FakeTimersConfig]
> = [
  ['ThreadPoolExecutor', () => new ThreadPoolExecutor({ maxWorkers: 2 }), {}],
  ['ProcessPoolExecutor', () => new ProcessPoolExecutor({ maxWorkers: 2 }), {}],
  [
    'EventLoopExecutor',
    () => new EventLoopExecutor({ maxWorkers: 2 }),
    { doNotFake: ['queueMicrotask'] },
  ],
];

describe.each(kinds)('%s under jest.useFakeTimers()', (_name, make, config) => {
  test('submit, map, wait and shutdown settle without advancing the fake clock', async () => {
    jest.useFakeTimers(config);
    const executor = make();
    expect(await executor.submit((x: number) => x + 1, 41)).toBe(42);
    const doubled: number[] = [];
    for await (const value of executor.map((x: number) => x * 2, [1, 2, 3])) doubled.push(value);
    expect(doubled).toEqual([2, 4, 6]);
    const { done } = await wait([executor.submit(() => 'a'), executor.submit(() => 'b')]);
    expect(done.size).toBe(2);
    await executor.shutdown();
  });

  test("a call's timeout is kept by the real clock, not the test's fake one", async () => {
    jest.useFakeTimers(config);
    const executor = make();
    const never = executor.schedule(() => new Promise<never>(() => undefined), { timeout: 50 });
    expect(await never.exception()).toBeInstanceOf(TimeoutError);
    await (executor instanceof EventLoopExecutor ? executor.shutdown() : executor.killWorkers());
  });
});
