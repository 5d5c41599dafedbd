// map() at its edges, on every executor: what a hunt for misuse found (each row failed before its
// fix in src/map.ts, src/future.ts or src/limits/signal-watch.ts).

import { getEventListeners } from 'node:events';
import {
  EventLoopExecutor,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  TimeoutError,
} from 'concurrent-futures';
import { withTimeout } from './support.js';

const STEP_MS = 20_000;

type Kind = 'event loop' | 'thread' | 'process';
const KINDS: Kind[] = ['event loop', 'thread', 'process'];

type AnyExecutor = EventLoopExecutor | ThreadPoolExecutor | ProcessPoolExecutor;
let executors: AnyExecutor[] = [];
function make(kind: Kind): AnyExecutor {
  const executor =
    kind === 'event loop'
      ? new EventLoopExecutor({ maxWorkers: 2 })
      : kind === 'thread'
        ? new ThreadPoolExecutor({ maxWorkers: 2 })
        : new ProcessPoolExecutor({ maxWorkers: 2 });
  executors.push(executor);
  return executor;
}
afterEach(async () => {
  const ending = executors;
  executors = [];
  await Promise.all(ending.map((executor) => executor.shutdown({ cancelFutures: true })));
});

/** An async source that never yields: a step waiting on it waits on the source itself. */
function silentSource(): AsyncIterable<number> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<number>>(() => {}) }),
  };
}

describe.each(KINDS)('%s: map()', (kind) => {
  test('return() while a next() waits on an async source ends that next() and every later one', async () => {
    const executor = make(kind);
    const iterator = executor.map((x: number) => x, silentSource());
    const waiting = iterator.next();
    await new Promise((resolve) => setImmediate(resolve)); // the step is waiting on the source now
    expect(await iterator.return!()).toEqual({ done: true, value: undefined });
    expect(await withTimeout(waiting, STEP_MS, 'the waiting next()')).toEqual({
      done: true,
      value: undefined,
    });
    expect(await withTimeout(iterator.next(), STEP_MS, 'a later next()')).toEqual({
      done: true,
      value: undefined,
    });
  });

  test("a callTimeout's TimeoutError is the call's, not the map's timeout", async () => {
    const executor = make(kind);
    const hang = (_item: number): Promise<never> => new Promise(() => {});
    const iterator = executor.map(hang, [1], { callTimeout: 100, timeout: 60_000 });
    const failure = await withTimeout(iterator.next(), STEP_MS).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
    expect((failure as Error).message).toMatch(/ran past its timeout of 100 ms/);
  });

  test('zipping leaves the longer iterables open, as Python’s zip(): one generator feeds maps in turn', async () => {
    const executor = make(kind);
    function* lines(): Generator<string> {
      for (let i = 0; i < 9; i++) yield `line ${i}`;
    }
    const source = lines();
    const batches: string[][] = [];
    for (let batch = 0; batch < 3; batch++) {
      const got: string[] = [];
      for await (const value of executor.map((_i: number, line: string) => line, [0, 1, 2], source))
        got.push(value);
      batches.push(got);
    }
    expect(batches).toEqual([
      ['line 0', 'line 1', 'line 2'],
      ['line 3', 'line 4', 'line 5'],
      ['line 6', 'line 7', 'line 8'],
    ]);
  });

  test('return() called by the source as it is read: the pending next() resolves, never with CancelledError', async () => {
    const executor = make(kind);
    function* source(): Generator<number> {
      yield 1;
      void iterator.return!(); // read as the first step takes its unit
      yield 2;
    }
    const iterator = executor.map((x: number) => x, source(), { buffersize: 1 });
    // The unit it had taken is cancelled if it had not started (done), or yields its value.
    const step = await withTimeout(iterator.next(), STEP_MS);
    expect([
      { done: true, value: undefined },
      { done: false, value: 1 },
    ]).toContainEqual(step);
    expect(await withTimeout(iterator.next(), STEP_MS)).toEqual({ done: true, value: undefined });
  });

  test('a source that aborts the map’s signal while read: nothing after the abort is submitted', async () => {
    const executor = make(kind);
    const controller = new AbortController();
    const seen: number[] = [];
    function* source(): Generator<number> {
      for (let i = 1; i <= 5; i++) {
        if (i === 3) controller.abort(new Error('enough'));
        seen.push(i);
        yield i;
      }
    }
    const iterator = executor.map((x: number) => x, source(), {
      signal: controller.signal,
      buffersize: 1,
    });
    const outcomes: unknown[] = [];
    try {
      for await (const value of iterator) outcomes.push(value);
    } catch (error) {
      outcomes.push((error as Error).message);
    }
    expect(outcomes[outcomes.length - 1]).toBe('enough');
    // Item 3, read after the abort, is never submitted: only items 1 and 2 count as calls.
    expect(seen).toContain(3);
    const { calls } = executor.stats();
    expect(calls.completed + calls.failed + calls.cancelled).toBeLessThanOrEqual(2);
    expect(calls.running + calls.queued).toBe(0);
  });

  test('an array with its own iterator is iterated, not read by index', async () => {
    const executor = make(kind);
    const items = [1, 2, 3];
    Object.defineProperty(items, Symbol.iterator, {
      value: function* () {
        yield 30;
        yield 20;
      },
    });
    const results: number[] = [];
    for await (const value of executor.map((x: number) => x + 1, items)) results.push(value);
    expect(results).toEqual([31, 21]);
  });

  test('maps sharing one signal add one listener to it, however many', async () => {
    const executor = make(kind);
    const controller = new AbortController();
    const never = (_item: number): Promise<never> => new Promise(() => {});
    const maps = Array.from({ length: 12 }, () =>
      executor.map(never, [1], { signal: controller.signal }),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const steps = maps.map((iterator) => iterator.next().catch((error: unknown) => error));
    controller.abort(new Error('all of them'));
    for (const outcome of await withTimeout(Promise.all(steps), STEP_MS))
      expect((outcome as Error).message).toBe('all of them');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

test("event loop: a call's own TimeoutError comes through a map with a timeout as it is", async () => {
  const executor = make('event loop');
  const own = (_item: number): never => {
    throw new TimeoutError('the call timed out by itself');
  };
  const iterator = executor.map(own, [1], { timeout: 60_000 });
  await expect(withTimeout(iterator.next(), STEP_MS)).rejects.toThrow(
    'the call timed out by itself',
  );
});

test('result(0) and exception(0) on a pending future answer at once, as Python’s timeout=0', async () => {
  const executor = make('event loop');
  let finish!: (value: number) => void;
  const future = executor.submit(() => new Promise<number>((resolve) => (finish = resolve)));
  await new Promise((resolve) => setImmediate(resolve)); // running now
  const asked = future.result(0);
  const askedException = future.exception(0);
  finish(7); // settles before any timer could fire: result(0) had answered already
  await expect(asked).rejects.toThrow(TimeoutError);
  await expect(askedException).rejects.toThrow(TimeoutError);
  expect(await future.result(0)).toBe(7);
});

test('schedule() with a signal whose addEventListener throws leaves no deaf watch behind', async () => {
  const executor = make('event loop');
  const controller = new AbortController();
  const { signal } = controller;
  const original = signal.addEventListener;
  signal.addEventListener = () => {
    throw new Error('no listeners today');
  };
  expect(() => executor.schedule(() => 1, { signal })).toThrow('no listeners today');
  signal.addEventListener = original;
  const waiting = executor.schedule(() => new Promise(() => {}), { signal });
  await new Promise((resolve) => setImmediate(resolve)); // running now: an abort ends it
  expect(waiting.running()).toBe(true);
  controller.abort(new Error('heard'));
  await expect(withTimeout(waiting, STEP_MS)).rejects.toThrow('heard');
});
