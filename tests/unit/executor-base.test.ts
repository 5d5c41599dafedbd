// What the abstract Executor writes once for every executor — submit's checks, map (submission at
// call time, input order, zipping, timeout, chunks, buffersize, early exits) and shutdown — run on
// the in-process InlineExecutor.

import { jest } from '@jest/globals';
import {
  CancelledError,
  Executor,
  Future,
  TimeoutError,
  fromModule,
  type Callable,
} from '../../src/index.js';
import { hasFailed } from '../../src/future.js';
import { collect, drain } from '../support/iteration.js';
import { observe, turns, until } from './support/async.js';
import { InlineExecutor, recorder } from './support/inline-executor.js';

function* counting(pulled: { count: number }): Generator<number> {
  for (let i = 0; ; i++) {
    pulled.count++;
    yield i;
  }
}

describe('submit()', () => {
  test('runs sync and async functions with their arguments', async () => {
    const executor = new InlineExecutor();
    const sum = executor.submit((a: number, b: number) => a + b, 2, 3);
    const later = executor.submit(async (s: string) => {
      await turns(1);
      return s.toUpperCase();
    }, 'x');
    const failing = executor.submit(() => {
      throw new RangeError('bad');
    });
    expect(await sum).toBe(5);
    expect(await later).toBe('X');
    await expect(failing.result()).rejects.toBeInstanceOf(RangeError);
    await executor.shutdown();
  });

  test('never starts the call inside submit(): it can be cancelled in the same tick', async () => {
    const executor = new InlineExecutor();
    const { fn, started } = recorder<number>();
    const future = executor.submit(fn, 1);
    expect(future.state).toBe('PENDING');
    expect(future.cancel()).toBe(true);
    await executor.shutdown();
    expect(started).toEqual([]);
    expect(future.state).toBe('CANCELLED_AND_NOTIFIED');
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
  });

  test('runs a fromModule() reference', async () => {
    const executor = new InlineExecutor();
    const basename = fromModule<(path: string) => string>('node:path', 'basename');
    expect(await executor.submit(basename, '/a/b/c.txt')).toBe('c.txt');
    await executor.shutdown();
  });

  test.each([
    ['a number', 5],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Math.max'],
    ['a plain object', { module: 'node:path', exportName: 'basename' }],
  ])('throws TypeError for %s, and schedules nothing', async (_label, fn) => {
    const executor = new InlineExecutor();
    expect(() => executor.submit(fn as unknown as Callable)).toThrow(TypeError);
    expect(() => executor.submit(fn as unknown as Callable)).toThrow(/function/);
    expect(executor.futures).toEqual([]);
    await executor.shutdown();
  });

  test('after shutdown() throws an Error that mentions shutdown, and schedules nothing', async () => {
    const executor = new InlineExecutor();
    await executor.shutdown();
    let thrown: unknown;
    try {
      executor.submit(() => 1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/shut ?down/i);
    expect(executor.futures).toEqual([]);
  });

  test('throws right after shutdown({ wait: false }), while calls still run', async () => {
    const executor = new InlineExecutor();
    const { fn, release } = recorder([1]);
    const future = executor.submit(fn, 1);
    await executor.shutdown({ wait: false });
    expect(() => executor.submit(fn, 2)).toThrow(/shut ?down/i);
    release(1);
    expect(await future).toBe(1);
  });
});

describe('map()', () => {
  test('submits every call when map() is called, before any iteration', async () => {
    const executor = new InlineExecutor({ maxWorkers: 4 });
    const { fn, started } = recorder<number>();
    const iterator = executor.map(fn, [1, 2, 3]);
    expect(executor.futures).toHaveLength(3);
    await until(() => started.length === 3);
    expect(started).toEqual([1, 2, 3]);
    expect(await collect(iterator)).toEqual([1, 2, 3]);
    await executor.shutdown();
  });

  test('yields results in input order, whatever the completion order', async () => {
    const executor = new InlineExecutor({ maxWorkers: 3 });
    const { fn, started, release } = recorder([1, 2, 3]);
    const results = collect(executor.map(fn, [1, 2, 3]));
    await until(() => started.length === 3);
    release(3);
    await turns(2);
    release(2);
    await turns(2);
    release(1);
    expect(await results).toEqual([1, 2, 3]);
    expect(executor.futures.map((f) => f.state)).toEqual(['FINISHED', 'FINISHED', 'FINISHED']);
  });

  test('awaits async results and zips several iterables, stopping at the shortest', async () => {
    const executor = new InlineExecutor();
    const add = async (a: number, b: number) => a + b;
    expect(await collect(executor.map(add, [1, 2, 3], [10, 20]))).toEqual([11, 22]);
    expect(await collect(executor.map(add, [1, 2], [10, 20, 30, 40]))).toEqual([11, 22]);
    const pulled = { count: 0 };
    expect(await collect(executor.map(add, [1, 2, 3], counting(pulled)))).toEqual([1, 3, 5]);
    expect(pulled.count).toBe(3); // the shorter one, first, ran dry: the infinite one was not pulled again
    expect(executor.futures).toHaveLength(7);
    await executor.shutdown();
  });

  test('takes any iterable: a Set, a string, a Map, a generator', async () => {
    const executor = new InlineExecutor();
    const pair = (a: unknown, b: unknown, c: unknown, d: unknown) => [a, b, c, d];
    function* gen() {
      yield 'g1';
      yield 'g2';
    }
    const results = await collect(
      executor.map(pair, new Set(['s1', 's2']), 'xy', new Map([['k', 1]]).keys(), gen()),
    );
    expect(results).toEqual([['s1', 'x', 'k', 'g1']]);
    await executor.shutdown();
  });

  test('with no iterables yields nothing and submits nothing', async () => {
    const executor = new InlineExecutor();
    expect(await collect(executor.map(() => 1))).toEqual([]);
    expect(await collect(executor.map(() => 1, { timeout: 100 }))).toEqual([]);
    expect(executor.futures).toEqual([]);
    await executor.shutdown();
  });

  test('over empty iterables yields nothing', async () => {
    const executor = new InlineExecutor();
    expect(await collect(executor.map((x: number) => x, []))).toEqual([]);
    expect(await collect(executor.map((x: number, y: number) => x + y, [1, 2], []))).toEqual([]);
    expect(executor.futures).toEqual([]);
    await executor.shutdown();
  });

  test('takes async iterables, also zipped with sync ones', async () => {
    const executor = new InlineExecutor();
    async function* letters() {
      for (const letter of ['a', 'b', 'c']) {
        await turns(1);
        yield letter;
      }
    }
    const join = (n: number, s: string) => `${n}${s}`;
    expect(await collect(executor.map(join, [1, 2, 3, 4], letters()))).toEqual(['1a', '2b', '3c']);
    await executor.shutdown();
  });

  test("a call's error is thrown when its result is reached, after the results before it", async () => {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const error = new Error('item 2 failed');
    const { fn, started } = recorder<number>();
    const failing = async (item: number) => {
      if (item === 2) {
        started.push(item);
        throw error;
      }
      return fn(item);
    };
    const { values, error: thrown } = await drain(executor.map(failing, [0, 1, 2, 3, 4]));
    expect(values).toEqual([0, 1]);
    expect(thrown).toBe(error);
    await executor.shutdown();
    // The error ended the iteration: the calls that had not started were cancelled.
    expect(started).toEqual([0, 1, 2]);
    expect(executor.futures.slice(3).every((f) => f.cancelled())).toBe(true);
  });

  test('a trailing plain object is the options; a trailing array is an iterable', async () => {
    const executor = new InlineExecutor();
    const both = (a: unknown, b: unknown) => [a, b];
    expect(await collect(executor.map(both, [1], [2]))).toEqual([[1, 2]]);
    const nullProto = Object.assign(Object.create(null) as object, { timeout: 1000 });
    expect(await collect(executor.map((a: number) => a, [1], nullProto))).toEqual([1]);
    await executor.shutdown();
  });

  test('after shutdown() throws the shutdown Error from map() itself', async () => {
    const executor = new InlineExecutor();
    await executor.shutdown();
    expect(() => executor.map((x: number) => x, [1, 2])).toThrow(/shut ?down/i);
  });

  test('the function is checked first: TypeError for a value that is not callable', () => {
    const executor = new InlineExecutor();
    expect(() => executor.map(42 as unknown as Callable, [1])).toThrow(TypeError);
    expect(executor.futures).toEqual([]);
  });

  test('a source that throws at once throws from map(); later, after the items before it', async () => {
    const executor = new InlineExecutor();
    const error = new Error('source failed');
    function* failingAt(n: number) {
      for (let i = 0; ; i++) {
        if (i === n) throw error;
        yield i;
      }
    }
    expect(() => executor.map((x: number) => x, failingAt(0))).toThrow(error);
    expect(await drain(executor.map((x: number) => x, failingAt(2)))).toEqual({
      values: [0, 1],
      error,
    });
    await executor.shutdown();
  });
});

describe('map() timeout', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('is counted from the map() call; past it the iterator throws TimeoutError and cancels the rest', async () => {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const { fn, started, release } = recorder([0, 1]);
    const iterator = executor.map(fn, [0, 1, 2, 3], { timeout: 100 });
    await jest.advanceTimersByTimeAsync(60);
    release(0);
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    await until(() => started.length === 2);
    const step = observe(iterator.next());
    await jest.advanceTimersByTimeAsync(39);
    expect(step.current.status).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(step.current.status).toBe('rejected');
    expect((step.current as { reason: unknown }).reason).toBeInstanceOf(TimeoutError);
    // The running call goes on; the two not started are cancelled.
    expect(executor.futures.map((f) => f.state)).toEqual([
      'FINISHED',
      'RUNNING',
      'CANCELLED',
      'CANCELLED',
    ]);
    release(1);
    await executor.shutdown();
    expect(started).toEqual([0, 1]);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('results ready in time are all yielded, and no timer is left', async () => {
    const executor = new InlineExecutor();
    expect(await collect(executor.map((x: number) => x * 2, [1, 2, 3], { timeout: 1000 }))).toEqual(
      [2, 4, 6],
    );
    expect(jest.getTimerCount()).toBe(0);
    await executor.shutdown();
  });

  test('an async source that is too slow times out too', async () => {
    const executor = new InlineExecutor();
    async function* slow() {
      await new Promise((resolve) => setTimeout(resolve, 500));
      yield 1;
    }
    const step = observe(executor.map((x: number) => x, slow(), { timeout: 100 }).next());
    await jest.advanceTimersByTimeAsync(99);
    expect(step.current.status).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(step.current.status).toBe('rejected');
    expect((step.current as { reason: unknown }).reason).toBeInstanceOf(TimeoutError);
    await jest.advanceTimersByTimeAsync(500);
    await executor.shutdown();
    // The item the source produced after the timeout was never submitted.
    expect(executor.futures).toEqual([]);
  });

  test.each([
    ['Infinity', Infinity],
    ['2^31 ms', 2 ** 31],
    ['null', null],
  ])('a timeout of %s never fires, also with an async source', async (_label, timeout) => {
    const executor = new InlineExecutor();
    async function* slow() {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        yield i;
      }
    }
    const results = observe(collect(executor.map((x: number) => x, slow(), { timeout })));
    await jest.advanceTimersByTimeAsync(3000);
    await until(() => results.current.status !== 'pending');
    expect(results.current).toEqual({ status: 'fulfilled', value: [0, 1, 2] });
    await executor.shutdown();
  });
});

describe('map() chunks', () => {
  test('sends chunksize items per chunk and yields the results in order', async () => {
    const executor = new InlineExecutor();
    expect(
      await collect(executor.map((x: number) => x * 10, [0, 1, 2, 3, 4], { chunksize: 2 })),
    ).toEqual([0, 10, 20, 30, 40]);
    expect(executor.chunkSizes).toEqual([2, 2, 1]);
    await executor.shutdown();
  });

  test('chunksize 1 submits single calls', async () => {
    const executor = new InlineExecutor();
    expect(await collect(executor.map((x: number) => x, [1, 2], { chunksize: 1 }))).toEqual([1, 2]);
    expect(executor.chunkSizes).toEqual([]);
    expect(executor.futures).toHaveLength(2);
    await executor.shutdown();
  });

  test('a failing item: the items before it in its chunk are yielded, then the error; the items after it never run', async () => {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const ran: number[] = [];
    const error = new Error('item 4 failed');
    const fn = (x: number) => {
      ran.push(x);
      if (x === 4) throw error;
      return x;
    };
    const { values, error: thrown } = await drain(
      executor.map(fn, [0, 1, 2, 3, 4, 5, 6, 7, 8], { chunksize: 3 }),
    );
    expect(values).toEqual([0, 1, 2, 3]);
    expect(thrown).toBe(error);
    await executor.shutdown();
    expect(ran).not.toContain(5);
    expect(ran.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    // The chunk after the failing one had not started: cancelled.
    expect(executor.futures.map((f) => f.state)).toEqual([
      'FINISHED',
      'FINISHED',
      'CANCELLED_AND_NOTIFIED',
    ]);
  });

  test('a failing first item of a chunk yields nothing of that chunk', async () => {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const error = new Error('item 2 failed');
    const fn = (x: number) => {
      if (x === 2) throw error;
      return x;
    };
    expect(await drain(executor.map(fn, [0, 1, 2, 3], { chunksize: 2 }))).toEqual({
      values: [0, 1],
      error,
    });
    await executor.shutdown();
  });

  test('an executor that does not run chunks gets single calls whatever the chunksize', async () => {
    const inner = new InlineExecutor();
    class SubmitOnly extends Executor {
      override submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>> {
        this.checkSubmit(fn);
        return inner.submit(fn, ...args);
      }
      protected override startShutdown(): Promise<void> {
        return inner.shutdown();
      }
      protected override cancelPendingCalls(): void {}
      protected override submitLimited(): never {
        throw new Error('not used by this test');
      }
    }
    const executor = new SubmitOnly();
    expect(await collect(executor.map((x: number) => x + 1, [1, 2, 3], { chunksize: 2 }))).toEqual([
      2, 3, 4,
    ]);
    expect(inner.futures).toHaveLength(3);
    expect(inner.chunkSizes).toEqual([]);
    await executor.shutdown();
  });
});

describe('map() buffersize', () => {
  test('submits buffersize calls at map(), then one more per result yielded, over an infinite source', async () => {
    const executor = new InlineExecutor({ maxWorkers: 4 });
    const pulled = { count: 0 };
    const iterator = executor.map((x: number) => x * x, counting(pulled), { buffersize: 3 });
    expect(executor.futures).toHaveLength(3);
    expect(pulled.count).toBe(3);
    const values: number[] = [];
    for await (const value of iterator) {
      values.push(value);
      expect(executor.futures.length - values.length).toBe(3);
      expect(pulled.count).toBe(values.length + 3);
      if (values.length === 10) break;
    }
    expect(values).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    await executor.shutdown();
    // Breaking out cancelled what had not started and ran nothing more.
    expect(executor.futures).toHaveLength(13);
    expect(executor.started + executor.futures.filter((f) => f.cancelled()).length).toBe(13);
  });

  test('never runs more than buffersize calls ahead of the consumer', async () => {
    const executor = new InlineExecutor({ maxWorkers: 100 });
    const pulled = { count: 0 };
    const iterator = executor.map(async (x: number) => x, counting(pulled), { buffersize: 2 });
    await turns(5);
    expect(executor.started).toBe(2);
    await iterator.next();
    await turns(5);
    expect(executor.started).toBe(3);
    await iterator.return!();
  });

  test('with chunks, buffersize counts chunks', async () => {
    const executor = new InlineExecutor();
    const pulled = { count: 0 };
    const iterator = executor.map((x: number) => x, counting(pulled), {
      buffersize: 2,
      chunksize: 3,
    });
    expect(executor.chunkSizes).toEqual([3, 3]);
    expect(pulled.count).toBe(6);
    const values: number[] = [];
    for await (const value of iterator) {
      values.push(value);
      if (values.length === 7) break;
    }
    expect(values).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(executor.chunkSizes.length).toBeLessThanOrEqual(Math.ceil(7 / 3) + 2);
    await executor.shutdown();
  });

  test('works with an infinite async iterable', async () => {
    const executor = new InlineExecutor();
    let pulled = 0;
    async function* numbers() {
      for (let i = 0; ; i++) {
        await turns(1);
        pulled++;
        yield i;
      }
    }
    const values: number[] = [];
    for await (const value of executor.map((x: number) => x + 100, numbers(), { buffersize: 2 })) {
      values.push(value);
      expect(pulled).toBeLessThanOrEqual(values.length + 2);
      if (values.length === 5) break;
    }
    expect(values).toEqual([100, 101, 102, 103, 104]);
    await executor.shutdown();
  });

  test('with a finite source yields everything', async () => {
    const executor = new InlineExecutor();
    expect(
      await collect(executor.map((x: number) => -x, [1, 2, 3, 4, 5], { buffersize: 2 })),
    ).toEqual([-1, -2, -3, -4, -5]);
    await executor.shutdown();
  });
});

describe('map() ending early cancels every call not started', () => {
  // One worker and item 1 held: the consumer leaves once it has 0 and 1 runs, while 2..4 wait.
  function setUp() {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const calls = recorder<number>([1]);
    const iterator = executor.map(calls.fn, [0, 1, 2, 3, 4]);
    const oneRuns = () => until(() => calls.started.length === 2);
    return { executor, iterator, calls, oneRuns };
  }

  async function expectOnlyTwoRan(
    executor: InlineExecutor,
    calls: ReturnType<typeof recorder<number>>,
  ) {
    expect(executor.futures.map((f) => f.state)).toEqual([
      'FINISHED',
      'RUNNING',
      'CANCELLED',
      'CANCELLED',
      'CANCELLED',
    ]);
    calls.releaseAll();
    await executor.shutdown();
    expect(calls.started).toEqual([0, 1]);
    expect(executor.futures[1]!.state).toBe('FINISHED');
  }

  test('break', async () => {
    const { executor, iterator, calls, oneRuns } = setUp();
    for await (const value of iterator) {
      expect(value).toBe(0);
      await oneRuns();
      break;
    }
    await expectOnlyTwoRan(executor, calls);
  });

  test('return()', async () => {
    const { executor, iterator, calls, oneRuns } = setUp();
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    await oneRuns();
    expect(await iterator.return!()).toEqual({ done: true, value: undefined });
    await expectOnlyTwoRan(executor, calls);
  });

  test('an error thrown in the loop body', async () => {
    const { executor, iterator, calls, oneRuns } = setUp();
    await expect(
      (async () => {
        for await (const value of iterator) {
          await oneRuns();
          throw new Error(`consumer failed at ${value}`);
        }
      })(),
    ).rejects.toThrow('consumer failed at 0');
    await expectOnlyTwoRan(executor, calls);
  });

  test('return() before the first next() cancels all the calls submitted at map()', async () => {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const calls = recorder<number>();
    const iterator = executor.map(calls.fn, [0, 1, 2]);
    await iterator.return!();
    await executor.shutdown();
    expect(calls.started).toEqual([]);
    expect(executor.futures.every((f) => f.cancelled())).toBe(true);
  });

  test('running out cancels nothing', async () => {
    const executor = new InlineExecutor();
    expect(await collect(executor.map((x: number) => x, [1, 2, 3]))).toEqual([1, 2, 3]);
    expect(executor.futures.some((f) => f.cancelled())).toBe(false);
    await executor.shutdown();
  });
});

describe('map() bad options throw from map(), synchronously, naming the option', () => {
  const identity = (x: number) => x;
  test.each([
    ['chunksize', 0, RangeError],
    ['chunksize', 1.5, RangeError],
    ['chunksize', -1, RangeError],
    ['chunksize', NaN, RangeError],
    ['chunksize', Infinity, RangeError],
    ['chunksize', '2', TypeError],
    ['buffersize', 0, RangeError],
    ['buffersize', 2.5, RangeError],
    ['buffersize', '3', TypeError],
    ['timeout', -1, RangeError],
    ['timeout', NaN, RangeError],
    ['timeout', '100', TypeError],
    ['callTimeout', -5, RangeError],
    ['callTimeout', '5', TypeError],
    ['signal', 'abort', TypeError],
    ['signal', {}, TypeError],
  ])('%s: %p gives %p', (option, value, kind) => {
    const executor = new InlineExecutor();
    const options = { [option]: value };
    expect(() => executor.map(identity, [1, 2], options)).toThrow(kind);
    expect(() => executor.map(identity, [1, 2], options)).toThrow(new RegExp(`\`${option}\``));
    expect(executor.futures).toEqual([]);
  });

  test.each([
    ['a number', 5],
    ['null', null],
    ['undefined', undefined],
  ])('an argument that is not iterable (%s): TypeError naming its position', (_label, iterable) => {
    const executor = new InlineExecutor();
    expect(() => executor.map(identity, iterable as unknown as number[])).toThrow(TypeError);
    expect(() => executor.map(identity, iterable as unknown as number[])).toThrow(/argument 2/);
    expect(executor.futures).toEqual([]);
  });

  test('null options mean the defaults', async () => {
    const executor = new InlineExecutor();
    const options = {
      timeout: null,
      chunksize: null,
      buffersize: null,
      callTimeout: null,
      signal: null,
    };
    expect(await collect(executor.map(identity, [1, 2], options))).toEqual([1, 2]);
    await executor.shutdown();
  });
});

describe('shutdown()', () => {
  test('wait (the default) resolves once every submitted call is done', async () => {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const calls = recorder([0, 1]);
    const futures = [0, 1, 2].map((i) => executor.submit(calls.fn, i));
    const shutdown = observe(executor.shutdown());
    await until(() => calls.started.length === 1);
    expect(shutdown.current.status).toBe('pending');
    calls.release(0);
    await until(() => calls.started.length === 2);
    expect(shutdown.current.status).toBe('pending');
    calls.release(1);
    await until(() => shutdown.current.status !== 'pending');
    expect(shutdown.current.status).toBe('fulfilled');
    expect(futures.map((f) => f.state)).toEqual(['FINISHED', 'FINISHED', 'FINISHED']);
  });

  test('wait: false resolves at once; the calls still finish', async () => {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const calls = recorder([0]);
    const futures = [0, 1].map((i) => executor.submit(calls.fn, i));
    const shutdown = observe(executor.shutdown({ wait: false }));
    await turns(1);
    expect(shutdown.current.status).toBe('fulfilled');
    expect(futures.some((f) => f.done())).toBe(false);
    calls.release(0);
    expect(await Promise.all(futures)).toEqual([0, 1]);
  });

  test('is idempotent: starts shutting down once, and every call resolves', async () => {
    const executor = new InlineExecutor();
    const calls = recorder([0]);
    const future = executor.submit(calls.fn, 0);
    const first = observe(executor.shutdown());
    const second = observe(executor.shutdown());
    const third = observe(executor.shutdown({ wait: false }));
    await turns(2);
    expect([first.current.status, second.current.status, third.current.status]).toEqual([
      'pending',
      'pending',
      'fulfilled',
    ]);
    calls.release(0);
    await future;
    await until(
      () => first.current.status === 'fulfilled' && second.current.status === 'fulfilled',
    );
    await executor.shutdown();
    expect(executor.shutdownStarts).toBe(1);
  });

  test('cancelFutures cancels every call not started, after a burst of submits that is all of them', async () => {
    const executor = new InlineExecutor({ maxWorkers: 2 });
    const calls = recorder<number>();
    const futures = [0, 1, 2, 3].map((i) => executor.submit(calls.fn, i));
    await executor.shutdown({ cancelFutures: true });
    expect(calls.started).toEqual([]);
    expect(futures.every((f) => f.cancelled())).toBe(true);
  });

  test('cancelFutures leaves running calls alone', async () => {
    const executor = new InlineExecutor({ maxWorkers: 1 });
    const calls = recorder([0]);
    const futures = [0, 1, 2].map((i) => executor.submit(calls.fn, i));
    await until(() => calls.started.length === 1);
    const shutdown = executor.shutdown({ cancelFutures: true });
    expect(futures.map((f) => f.state)).toEqual(['RUNNING', 'CANCELLED', 'CANCELLED']);
    calls.release(0);
    await shutdown;
    expect(await futures[0]).toBe(0);
    expect(calls.started).toEqual([0]);
  });

  test('never rejects, even when calls fail', async () => {
    const executor = new InlineExecutor();
    const future = executor.submit(() => {
      throw new Error('call failed');
    });
    await expect(executor.shutdown()).resolves.toBeUndefined();
    expect(hasFailed(future)).toBe(true);
  });

  test.each([
    ['options that are not an object', 5],
    ['wait that is not a boolean', { wait: 'yes' }],
    ['cancelFutures that is not a boolean', { cancelFutures: 1 }],
  ])('%s: rejects with TypeError and does not shut down', async (_label, options) => {
    const executor = new InlineExecutor();
    await expect(executor.shutdown(options as object)).rejects.toBeInstanceOf(TypeError);
    expect(executor.shutDown).toBe(false);
    expect(await executor.submit(() => 'still open')).toBe('still open');
    await executor.shutdown();
  });
});

describe('a subclass written as in Python: only submit()', () => {
  /** Runs each call at once, on the caller's turn: nothing but `submit`, as a Python user writes one. */
  class SubmitOnly extends Executor {
    submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>> {
      this.checkSubmit(fn);
      const future = new Future<Awaited<R>>();
      future.setRunningOrNotifyCancel();
      try {
        future.setResult((fn as (...values: A) => Awaited<R>)(...args));
      } catch (error) {
        future.setException(error);
      }
      return future;
    }
  }

  test('submit, map and shutdown work; submit after shutdown is refused', async () => {
    const executor = new SubmitOnly();
    expect(await executor.submit((x: number) => x + 1, 1)).toBe(2);
    expect(await collect(executor.map((x: number) => x * 2, [1, 2, 3]))).toEqual([2, 4, 6]);
    await expect(executor.shutdown()).resolves.toBeUndefined();
    expect(() => executor.submit((x: number) => x, 1)).toThrow(/after shutdown\(\)/);
  });

  test('schedule() with a limit says this executor cannot end a running call', () => {
    const executor = new SubmitOnly();
    expect(() => executor.schedule(() => 1, { timeout: 10 })).toThrow(
      /SubmitOnly cannot end a running call, so it takes no timeout, signal or callTimeout/,
    );
  });
});
