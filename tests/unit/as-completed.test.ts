// asCompleted(): done futures first, then completion order; each distinct future once; a timeout
// counted from the call; bad arguments thrown at the call; no waiter left behind.

import { execFileSync } from 'node:child_process';
import { jest } from '@jest/globals';
import { asCompleted, Future, TimeoutError } from '../../src/index.js';
import { waiterCount } from '../../src/future.js';
import { collect } from '../support/iteration.js';
import { observe, turns } from './support/async.js';
import {
  cancelled,
  cancelledAndNotified,
  failed,
  finished,
  pending,
  running,
} from './support/futures.js';

describe('order', () => {
  test('futures already done come first, in input order; then the rest in completion order', async () => {
    const [a, b, c, d, e] = [
      pending<number>(),
      finished(2),
      running<number>(),
      cancelled<number>(),
      failed(new Error('e')),
    ];
    const seen: Future<any>[] = [];
    const iterating = (async () => {
      for await (const future of asCompleted([a, b, c, d, e])) seen.push(future);
    })();
    await turns(2);
    expect(seen).toEqual([b, d, e]);
    c.setResult(3);
    await turns(1);
    expect(seen).toEqual([b, d, e, c]);
    a.cancel();
    await iterating;
    expect(seen).toEqual([b, d, e, c, a]);
  });

  test('completion order is kept when many futures end between two steps', async () => {
    const futures = Array.from({ length: 100 }, () => running<number>());
    const order = futures.map((_, i) => (i * 37) % 100); // a permutation of 0..99
    const iterator = asCompleted(futures);
    const first = iterator.next();
    for (const i of order) futures[i]!.setResult(i);
    const seen = [(await first).value, ...(await collect(iterator))];
    expect(seen).toEqual(order.map((i) => futures[i]));
  });

  test('yields the futures themselves, not their results', async () => {
    const future = finished({ then: 'not a thenable' });
    const { value } = await asCompleted([future]).next();
    expect(value).toBe(future);
    expect(value).toBeInstanceOf(Future);
  });

  test('the loop variable is typed as the Future (checked by tsc)', async () => {
    const futures = [finished(1), finished(2)];
    const values: number[] = [];
    for await (const future of asCompleted(futures)) {
      const typed: Future<number> = future;
      values.push(await typed.result());
    }
    expect(values).toEqual([1, 2]);
  });

  test('each distinct future is yielded once, duplicates included', async () => {
    const [a, b] = [running<number>(), finished(1)];
    const iterator = asCompleted([a, b, a, b, a]);
    const first = await iterator.next();
    a.setResult(0);
    expect([first.value, ...(await collect(iterator))]).toEqual([b, a]);
  });

  test('a cancellation during the iteration yields that future', async () => {
    const [a, b] = [pending<number>(), cancelledAndNotified<number>()];
    const iterator = asCompleted([a, b]);
    expect((await iterator.next()).value).toBe(b);
    const next = iterator.next();
    a.cancel();
    expect((await next).value).toBe(a);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('next() called again before the previous step settled: steps run in turn', async () => {
    const [a, b] = [running<number>(), running<number>()];
    const iterator = asCompleted([a, b]);
    const steps = [iterator.next(), iterator.next(), iterator.next()];
    b.setResult(2);
    a.setResult(1);
    expect(await Promise.all(steps)).toEqual([
      { done: false, value: b },
      { done: false, value: a },
      { done: true, value: undefined },
    ]);
  });

  test('asCompleted([]) ends at once', async () => {
    const iterator = asCompleted([]);
    const step = observe(iterator.next());
    await turns(1);
    expect(step.current).toEqual({ status: 'fulfilled', value: { done: true, value: undefined } });
  });

  test('is its own async iterator', () => {
    const iterator = asCompleted([finished(1)]);
    expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
  });

  test('accepts any iterable: a Set, a generator', async () => {
    const [a, b] = [finished(1), finished(2)];
    expect(await collect(asCompleted(new Set([a, b])))).toEqual([a, b]);
    function* gen(): Generator<Future<number>> {
      yield b;
      yield a;
    }
    expect(await collect(asCompleted(gen()))).toEqual([b, a]);
  });
});

describe('timeout', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('is counted from the call: the iteration throws TimeoutError once it passes', async () => {
    const [a, b] = [running<number>(), running<number>()];
    const iterator = asCompleted([a, b], { timeout: 100 });
    await jest.advanceTimersByTimeAsync(60); // nobody iterates yet; the clock runs anyway
    a.setResult(1);
    expect((await iterator.next()).value).toBe(a);
    const step = observe(iterator.next());
    await jest.advanceTimersByTimeAsync(39);
    expect(step.current.status).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(step.current.status).toBe('rejected');
    expect((step.current as { reason: unknown }).reason).toBeInstanceOf(TimeoutError);
    expect(waiterCount(b)).toBe(0);
    expect(b.done()).toBe(false);
    // The iteration is over; the futures are unaffected.
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('a timeout already past at the first step throws after the futures already done', async () => {
    const [a, b] = [finished(1), running<number>()];
    const iterator = asCompleted([b, a], { timeout: 50 });
    await jest.advanceTimersByTimeAsync(50);
    expect((await iterator.next()).value).toBe(a);
    await expect(iterator.next()).rejects.toBeInstanceOf(TimeoutError);
  });

  test('timeout 0 yields the futures already done first, then throws TimeoutError', async () => {
    const [a, b, c] = [running<number>(), finished(1), cancelled<number>()];
    const seen: Future<any>[] = [];
    let thrown: unknown;
    try {
      for await (const future of asCompleted([a, b, c], { timeout: 0 })) seen.push(future);
    } catch (error) {
      thrown = error;
    }
    expect(seen).toEqual([b, c]);
    expect(thrown).toBeInstanceOf(TimeoutError);
    expect(String((thrown as Error).message)).toMatch(/1 \(of 3\)/);
    expect(waiterCount(a)).toBe(0);
  });

  test('timeout 0 with every future done ends without an error', async () => {
    const [a, b] = [finished(1), failed(new Error('x'))];
    expect(await collect(asCompleted([a, b], { timeout: 0 }))).toEqual([a, b]);
  });

  test('futures finishing in time are yielded, and no timer is left afterwards', async () => {
    const [a, b] = [running<number>(), running<number>()];
    const iterating = collect(asCompleted([a, b], { timeout: 1000 }));
    await jest.advanceTimersByTimeAsync(500);
    b.setResult(2);
    await jest.advanceTimersByTimeAsync(400);
    a.setResult(1);
    expect(await iterating).toEqual([b, a]);
    expect(jest.getTimerCount()).toBe(0);
  });

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['Infinity', Infinity],
    ['2^31 ms', 2 ** 31],
  ])('a timeout of %s waits as long as it takes', async (_label, timeout) => {
    const a = running<number>();
    const step = observe(asCompleted([a], { timeout }).next());
    await jest.advanceTimersByTimeAsync(2 ** 31 + 1000);
    expect(step.current.status).toBe('pending');
    a.setResult(1);
    await turns(1);
    expect(step.current).toEqual({ status: 'fulfilled', value: { done: false, value: a } });
  });
});

describe('leaving early', () => {
  test('break removes its waiter from every future not yet yielded', async () => {
    const [a, b, c] = [running<number>(), running<number>(), running<number>()];
    const iterating = (async () => {
      for await (const future of asCompleted([a, b, c])) {
        if (future === a) break;
      }
    })();
    await turns(1);
    expect([a, b, c].map((f) => waiterCount(f))).toEqual([1, 1, 1]);
    a.setResult(1);
    await iterating;
    expect([b, c].map((f) => waiterCount(f))).toEqual([0, 0]);
  });

  test('return() removes its waiter and ends the iteration', async () => {
    const [a, b] = [finished(1), running<number>()];
    const iterator = asCompleted([a, b]);
    await iterator.next();
    expect(waiterCount(b)).toBe(1);
    expect(await iterator.return!()).toEqual({ done: true, value: undefined });
    expect(waiterCount(b)).toBe(0);
    b.setResult(2);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('an error thrown in the loop body removes its waiter', async () => {
    const [a, b] = [finished(1), running<number>()];
    await expect(
      (async () => {
        for await (const future of asCompleted([a, b])) {
          if (future === a) throw new Error('consumer failed');
        }
      })(),
    ).rejects.toThrow('consumer failed');
    expect(waiterCount(b)).toBe(0);
  });

  test('an iterator never started registers no waiter', () => {
    const a = running<number>();
    asCompleted([a]);
    expect(waiterCount(a)).toBe(0);
  });
});

describe('bad arguments throw at the call, synchronously', () => {
  test.each([
    ['a number', 5],
    ['null', null],
    ['undefined', undefined],
    ['a plain object', { a: 1 }],
  ])('a non-iterable fs (%s): TypeError naming fs', (_label, fs) => {
    expect(() => asCompleted(fs as unknown as Iterable<Future>)).toThrow(TypeError);
    expect(() => asCompleted(fs as unknown as Iterable<Future>)).toThrow(/`fs`/);
  });

  test.each([
    ['a number', 1],
    ['a promise', Promise.resolve(1)],
    ['undefined', undefined],
  ])('an element that is not a Future (%s): TypeError', (_label, element) => {
    expect(() => asCompleted([finished(1), element as unknown as Future])).toThrow(TypeError);
    expect(() => asCompleted([finished(1), element as unknown as Future])).toThrow(/Future/);
  });

  test.each([
    ['-1', -1, RangeError],
    ['NaN', NaN, RangeError],
    ['a string', '10', TypeError],
    ['a boolean', false, TypeError],
  ])('a timeout of %s: the right error, naming timeout', (_label, timeout, kind) => {
    expect(() => asCompleted([running()], { timeout: timeout as number })).toThrow(kind);
    expect(() => asCompleted([running()], { timeout: timeout as number })).toThrow(/`timeout`/);
  });

  test("a Map of futures (Python's future_to_url dict): TypeError that says to pass map.keys()", () => {
    const futureToUrl = new Map([[finished(1), 'https://example.com']]);
    expect(() => asCompleted(futureToUrl as unknown as Iterable<Future>)).toThrow(/map\.keys\(\)/);
    expect(() => asCompleted([...futureToUrl] as unknown as Iterable<Future>)).toThrow(
      /map\.keys\(\)/,
    );
    expect(asCompleted(futureToUrl.keys())).toBeDefined();
  });

  test('options that are not an object: TypeError', () => {
    expect(() => asCompleted([running()], 'fast' as unknown as object)).toThrow(TypeError);
  });
});

describe('an iteration dropped before its end', () => {
  test('leaves no waiter behind once collected (`await asCompleted(fs).next()` for the first one done)', () => {
    // Each such call once left its waiter on every future still pending, for as long as it stayed
    // pending. Collection needs --expose-gc: a child process, on the built package.
    const script = `
      import { asCompleted, Future } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const waiters = Symbol.for('concurrent-futures.Future.waiterCount');
      const long = new Future();
      for (let i = 0; i < 1000; i++) {
        const quick = new Future();
        setTimeout(() => quick.setResult(i), 0);
        await asCompleted([quick, long]).next();
      }
      const before = long[waiters]();
      for (let i = 0; i < 5 && long[waiters]() > 0; i++) {
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 10)); // finalizers run in a later task
      }
      console.log(JSON.stringify({ before, after: long[waiters]() }));`;
    const output = execFileSync(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    const { before, after } = JSON.parse(output) as { before: number; after: number };
    expect(before).toBeGreaterThan(0); // the step did add them: the test sees what it is about
    expect(after).toBe(0);
  });
});
