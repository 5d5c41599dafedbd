// wait(): each returnWhen, timeouts (never a rejection), cancelled futures, duplicates, mixed
// futures, bad arguments, and that no waiter is left behind on the futures.

import { jest } from '@jest/globals';
import {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  wait,
  type DoneAndNotDone,
} from '../../src/index.js';
import { waiterCount } from '../../src/future.js';
import { observe, turns } from './support/async.js';
import { cancelled, failed, finished, pending, running } from './support/futures.js';
import { InlineExecutor } from './support/inline-executor.js';

function sets(outcome: DoneAndNotDone<any>): { done: Future<any>[]; notDone: Future<any>[] } {
  return { done: [...outcome.done], notDone: [...outcome.notDone] };
}

describe('FIRST_COMPLETED', () => {
  test('returns when the first future finishes', async () => {
    const [a, b, c] = [pending<number>(), running<number>(), pending<number>()];
    const waiting = observe(wait([a, b, c], { returnWhen: FIRST_COMPLETED }));
    await turns(3);
    expect(waiting.current.status).toBe('pending');
    b.setResult(1);
    await turns(1);
    expect(waiting.current.status).toBe('fulfilled');
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [b],
      notDone: [a, c],
    });
  });

  test('a failure counts as completed', async () => {
    const [a, b] = [running<number>(), running<number>()];
    const promise = wait([a, b], { returnWhen: FIRST_COMPLETED });
    a.setException(new Error('x'));
    expect(sets(await promise)).toEqual({ done: [a], notDone: [b] });
  });

  test('a cancellation counts as completed, from the moment cancel() returns', async () => {
    const [a, b] = [pending<number>(), pending<number>()];
    const promise = wait([a, b], { returnWhen: FIRST_COMPLETED });
    expect(b.cancel()).toBe(true);
    expect(sets(await promise)).toEqual({ done: [b], notDone: [a] });
  });

  test('a future already done returns at once with it', async () => {
    const [a, b, c] = [pending<number>(), finished(1), cancelled<number>()];
    expect(sets(await wait([a, b, c], { returnWhen: FIRST_COMPLETED }))).toEqual({
      done: [b, c],
      notDone: [a],
    });
  });

  test('the sets hold every future done by the time it returns, in input order', async () => {
    const [a, b, c] = [running<number>(), running<number>(), running<number>()];
    const promise = wait([a, b, c], { returnWhen: FIRST_COMPLETED });
    c.setResult(3);
    a.setResult(1);
    expect(sets(await promise)).toEqual({ done: [a, c], notDone: [b] });
  });
});

describe('FIRST_EXCEPTION', () => {
  test('returns at the first failure, not at a success before it', async () => {
    const [a, b, c] = [running<number>(), running<number>(), running<number>()];
    const waiting = observe(wait([a, b, c], { returnWhen: FIRST_EXCEPTION }));
    a.setResult(1);
    await turns(3);
    expect(waiting.current.status).toBe('pending');
    b.setException(new Error('b failed'));
    await turns(1);
    expect(waiting.current.status).toBe('fulfilled');
    const outcome = (waiting.current as { value: DoneAndNotDone }).value;
    expect(sets(outcome)).toEqual({ done: [a, b], notDone: [c] });
  });

  test('a cancelled future does not count as an exception', async () => {
    const [a, b] = [pending<number>(), running<number>()];
    const waiting = observe(wait([a, b], { returnWhen: FIRST_EXCEPTION }));
    a.cancel();
    await turns(3);
    expect(waiting.current.status).toBe('pending');
    b.setResult(2);
    await turns(1);
    expect(waiting.current.status).toBe('fulfilled');
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [a, b],
      notDone: [],
    });
  });

  test('an already cancelled future does not make it return at once', async () => {
    const [a, b] = [cancelled<number>(), running<number>()];
    const waiting = observe(wait([a, b], { returnWhen: FIRST_EXCEPTION }));
    await turns(3);
    expect(waiting.current.status).toBe('pending');
    b.setException(new Error('now'));
    await turns(1);
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [a, b],
      notDone: [],
    });
  });

  test('an already failed future returns at once', async () => {
    const [a, b] = [running<number>(), failed<number>(new Error('early'))];
    expect(sets(await wait([a, b], { returnWhen: FIRST_EXCEPTION }))).toEqual({
      done: [b],
      notDone: [a],
    });
  });

  test('without any failure, returns when all are done', async () => {
    const [a, b] = [running<number>(), pending<number>()];
    const waiting = observe(wait([a, b], { returnWhen: FIRST_EXCEPTION }));
    a.setResult(1);
    await turns(3);
    expect(waiting.current.status).toBe('pending');
    b.cancel();
    await turns(1);
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [a, b],
      notDone: [],
    });
  });
});

describe('ALL_COMPLETED', () => {
  test('is the default, and returns only once every future is done, however it ended', async () => {
    const [a, b, c] = [running<number>(), running<number>(), pending<number>()];
    const waiting = observe(wait([a, b, c]));
    a.setException(new Error('a'));
    await turns(2);
    expect(waiting.current.status).toBe('pending');
    b.setResult(2);
    await turns(2);
    expect(waiting.current.status).toBe('pending');
    c.cancel();
    await turns(1);
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [a, b, c],
      notDone: [],
    });
  });

  test('explicit ALL_COMPLETED over futures already done returns at once', async () => {
    const [a, b] = [finished(1), failed(new Error('x'))];
    expect(sets(await wait([a, b], { returnWhen: ALL_COMPLETED }))).toEqual({
      done: [a, b],
      notDone: [],
    });
  });
});

describe('timeout', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test.each([FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED] as const)(
    '%s: resolves with the sets as they stand when the timeout passes, never rejects',
    async (returnWhen) => {
      const [a, b, c] = [running<number>(), running<number>(), running<number>()];
      if (returnWhen !== FIRST_COMPLETED) a.setResult(1);
      const waiting = observe(wait([a, b, c], { timeout: 100, returnWhen }));
      await jest.advanceTimersByTimeAsync(99);
      expect(waiting.current.status).toBe('pending');
      await jest.advanceTimersByTimeAsync(1);
      expect(waiting.current.status).toBe('fulfilled');
      const outcome = (waiting.current as { value: DoneAndNotDone }).value;
      const expected =
        returnWhen === FIRST_COMPLETED
          ? { done: [], notDone: [a, b, c] }
          : { done: [a], notDone: [b, c] };
      expect(sets(outcome)).toEqual(expected);
      expect([a, b, c].map((f) => waiterCount(f))).toEqual([0, 0, 0]);
      expect(jest.getTimerCount()).toBe(0);
    },
  );

  test('a condition met before the timeout returns then, and clears the timer', async () => {
    const [a, b] = [running<number>(), running<number>()];
    const waiting = observe(wait([a, b], { timeout: 1000 }));
    await jest.advanceTimersByTimeAsync(10);
    a.setResult(1);
    b.setResult(2);
    await turns(1);
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [a, b],
      notDone: [],
    });
    expect(jest.getTimerCount()).toBe(0);
  });

  test('timeout 0 returns the sets as they stand, at once', async () => {
    const [a, b] = [finished(1), running<number>()];
    const waiting = observe(wait([a, b], { timeout: 0 }));
    await turns(1);
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [a],
      notDone: [b],
    });
  });

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['Infinity', Infinity],
    ['2^31 ms', 2 ** 31],
  ])('a timeout of %s waits as long as it takes', async (_label, timeout) => {
    const a = running<number>();
    const waiting = observe(wait([a], { timeout }));
    await jest.advanceTimersByTimeAsync(2 ** 31 + 1000);
    expect(waiting.current.status).toBe('pending');
    a.setResult(1);
    await turns(1);
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [a],
      notDone: [],
    });
  });

  test('10,000 timed-out waits on one future leave it holding no waiter', async () => {
    jest.useRealTimers(); // 10,000 fake timers are slow to advance; these fire after 1 ms anyway
    const future = running<number>();
    const waits = Array.from({ length: 10_000 }, () => wait([future], { timeout: 1 }));
    await Promise.resolve();
    expect(waiterCount(future)).toBe(10_000);
    const outcomes = await Promise.all(waits);
    expect(outcomes.every((o) => o.notDone.has(future) && o.done.size === 0)).toBe(true);
    expect(waiterCount(future)).toBe(0);
    future.setResult(1);
    expect(future.done()).toBe(true);
  });
});

describe('waiters are removed', () => {
  test('FIRST_COMPLETED leaves no waiter on the futures still pending', async () => {
    const [a, b, c] = [running<number>(), running<number>(), running<number>()];
    const promise = wait([a, b, c], { returnWhen: FIRST_COMPLETED });
    await turns(1);
    expect([a, b, c].map((f) => waiterCount(f))).toEqual([1, 1, 1]);
    b.setResult(1);
    await promise;
    expect([a, b, c].map((f) => waiterCount(f))).toEqual([0, 0, 0]);
  });

  test('FIRST_EXCEPTION leaves no waiter on the futures still pending', async () => {
    const [a, b] = [running<number>(), running<number>()];
    const promise = wait([a, b], { returnWhen: FIRST_EXCEPTION });
    a.setException(new Error('x'));
    await promise;
    expect(waiterCount(b)).toBe(0);
  });

  test('a wait satisfied at the call registers no waiter at all', async () => {
    const a = running<number>();
    const promise = wait([a, finished(1)], { returnWhen: FIRST_COMPLETED });
    expect(waiterCount(a)).toBe(0);
    await promise;
    expect(waiterCount(a)).toBe(0);
  });
});

describe('inputs', () => {
  test('duplicates count once', async () => {
    const [a, b] = [running<number>(), running<number>()];
    const waiting = observe(wait([a, a, b, a]));
    a.setResult(1);
    b.setResult(2);
    await turns(1);
    expect(waiting.current.status).toBe('fulfilled');
    const outcome = (waiting.current as { value: DoneAndNotDone }).value;
    expect(sets(outcome)).toEqual({ done: [a, b], notDone: [] });
  });

  test('duplicates of a pending future count once for FIRST_EXCEPTION too', async () => {
    const [a, b] = [running<number>(), running<number>()];
    const waiting = observe(wait([b, a, a], { returnWhen: FIRST_EXCEPTION }));
    a.setResult(1);
    b.setResult(2);
    await turns(1);
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [b, a],
      notDone: [],
    });
  });

  test('futures from different executors and bare futures mix', async () => {
    const one = new InlineExecutor({ maxWorkers: 1 });
    const two = new InlineExecutor({ maxWorkers: 1 });
    const bare = running<number>(); // a different result type: futures of any types mix
    const fromOne = one.submit(() => 'one');
    const fromTwo = two.submit(async () => {
      await turns(2);
      return 'two';
    });
    const waiting = observe(wait([fromOne, bare, fromTwo]));
    await Promise.all([fromOne, fromTwo]);
    await turns(1);
    expect(waiting.current.status).toBe('pending');
    bare.setResult(3);
    await turns(1);
    expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
      done: [fromOne, bare, fromTwo],
      notDone: [],
    });
    await Promise.all([one.shutdown(), two.shutdown()]);
  });

  test('any iterable of futures: a Set, a generator', async () => {
    const [a, b] = [finished(1), running<number>()];
    expect(sets(await wait(new Set([a, b]), { timeout: 0 }))).toEqual({ done: [a], notDone: [b] });
    function* gen(): Generator<Future<number>> {
      yield b;
      yield a;
    }
    expect(sets(await wait(gen(), { timeout: 0 }))).toEqual({ done: [a], notDone: [b] });
  });

  test.each([FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED] as const)(
    'wait([]) with %s resolves at once with two empty sets',
    async (returnWhen) => {
      const waiting = observe(wait([], { returnWhen }));
      await turns(1);
      expect(waiting.current.status).toBe('fulfilled');
      expect(sets((waiting.current as { value: DoneAndNotDone }).value)).toEqual({
        done: [],
        notDone: [],
      });
    },
  );

  test('the result holds real Sets', async () => {
    const outcome = await wait([finished(1)]);
    expect(outcome.done).toBeInstanceOf(Set);
    expect(outcome.notDone).toBeInstanceOf(Set);
  });
});

describe('bad arguments reject', () => {
  test.each([
    ['a number', 5],
    ['null', null],
    ['undefined', undefined],
    ['a plain object', { a: 1 }],
  ])('a non-iterable fs (%s) rejects with TypeError naming fs', async (_label, fs) => {
    const promise = wait(fs as unknown as Iterable<Future>);
    await expect(promise).rejects.toBeInstanceOf(TypeError);
    await expect(wait(fs as unknown as Iterable<Future>)).rejects.toThrow(/`fs`/);
  });

  test.each([
    ['a number', 1],
    ['a promise', Promise.resolve(1)],
    ['a thenable', { then: () => undefined }],
    ['null', null],
  ])('an element that is not a Future (%s) rejects with TypeError', async (_label, element) => {
    const good = running<number>();
    await expect(wait([good, element as unknown as Future])).rejects.toBeInstanceOf(TypeError);
    await expect(wait([good, element as unknown as Future])).rejects.toThrow(/Future/);
    expect(waiterCount(good)).toBe(0);
  });

  test.each([
    ['-1', -1, RangeError],
    ['NaN', NaN, RangeError],
    ['a string', '10', TypeError],
    ['an object', {}, TypeError],
  ])(
    'a timeout of %s rejects with the right error naming timeout',
    async (_label, timeout, kind) => {
      const promise = wait([running()], { timeout: timeout as number });
      await expect(promise).rejects.toBeInstanceOf(kind);
      await expect(wait([running()], { timeout: timeout as number })).rejects.toThrow(/`timeout`/);
    },
  );

  test.each([
    ['SOMETIMES', 'SOMETIMES'],
    ['lowercase', 'first_completed'],
    ['a number', 1],
  ])(
    'returnWhen %s rejects with RangeError naming the three constants',
    async (_label, returnWhen) => {
      const promise = wait([running()], { returnWhen: returnWhen as typeof ALL_COMPLETED });
      await expect(promise).rejects.toBeInstanceOf(RangeError);
      await expect(
        wait([running()], { returnWhen: returnWhen as typeof ALL_COMPLETED }),
      ).rejects.toThrow(/returnWhen.*FIRST_COMPLETED.*FIRST_EXCEPTION.*ALL_COMPLETED/);
    },
  );

  test('options that are not an object reject with TypeError', async () => {
    await expect(wait([running()], 5 as unknown as object)).rejects.toBeInstanceOf(TypeError);
  });

  test('bad arguments never throw synchronously', () => {
    expect(() => {
      void wait(5 as unknown as Iterable<Future>).catch(() => undefined);
      void wait([running()], { timeout: -1 }).catch(() => undefined);
      void wait([running()], { returnWhen: 'SOMETIMES' as typeof ALL_COMPLETED }).catch(
        () => undefined,
      );
    }).not.toThrow();
  });
});
