// Future: every state, every transition, every InvalidStateError, cancel() in each state, done
// callbacks, result()/exception() with and without timeouts, awaiting, and how it prints.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { jest } from '@jest/globals';
import { CancelledError, Future, InvalidStateError, TimeoutError } from '../../src/index.js';
import { hasFailed, setRemoteStart, waiterCount } from '../../src/future.js';
import {
  cancelled,
  cancelledAndNotified,
  everyState,
  failed,
  finished,
  pending,
  running,
} from './support/futures.js';

describe('states and transitions', () => {
  test('a new future is PENDING: not cancelled, not running, not done', () => {
    const future = new Future<number>();
    expect(future.state).toBe('PENDING');
    expect([future.cancelled(), future.running(), future.done()]).toEqual([false, false, false]);
  });

  test('PENDING -> RUNNING through setRunningOrNotifyCancel(), which returns true', () => {
    const future = new Future<number>();
    expect(future.setRunningOrNotifyCancel()).toBe(true);
    expect(future.state).toBe('RUNNING');
    expect([future.cancelled(), future.running(), future.done()]).toEqual([false, true, false]);
  });

  test('PENDING -> CANCELLED through cancel()', () => {
    const future = new Future<number>();
    expect(future.cancel()).toBe(true);
    expect(future.state).toBe('CANCELLED');
    expect([future.cancelled(), future.running(), future.done()]).toEqual([true, false, true]);
  });

  test('CANCELLED -> CANCELLED_AND_NOTIFIED through setRunningOrNotifyCancel(), which returns false', () => {
    const future = cancelled<number>();
    expect(future.setRunningOrNotifyCancel()).toBe(false);
    expect(future.state).toBe('CANCELLED_AND_NOTIFIED');
    expect([future.cancelled(), future.running(), future.done()]).toEqual([true, false, true]);
  });

  test.each([
    ['RUNNING', running],
    ['PENDING', pending],
  ])('%s -> FINISHED through setResult()', (_label, make) => {
    const future = make<string>();
    future.setResult('ok');
    expect(future.state).toBe('FINISHED');
    expect([future.cancelled(), future.running(), future.done()]).toEqual([false, false, true]);
    expect(hasFailed(future)).toBe(false);
  });

  test.each([
    ['RUNNING', running],
    ['PENDING', pending],
  ])('%s -> FINISHED through setException()', (_label, make) => {
    const future = make<string>();
    future.setException(new Error('boom'));
    expect(future.state).toBe('FINISHED');
    expect([future.cancelled(), future.running(), future.done()]).toEqual([false, false, true]);
    expect(hasFailed(future)).toBe(true);
  });

  test.each([
    ['RUNNING', running<number>()],
    ['CANCELLED_AND_NOTIFIED', cancelledAndNotified<number>()],
    ['FINISHED (result)', finished(1)],
    ['FINISHED (error)', failed<number>(new Error('boom'))],
  ])(
    'setRunningOrNotifyCancel() on %s throws InvalidStateError and changes nothing',
    (label, future) => {
      const before = future.state;
      expect(() => future.setRunningOrNotifyCancel()).toThrow(InvalidStateError);
      expect(future.state).toBe(before);
      expect(label.startsWith(before)).toBe(true);
    },
  );

  test.each([
    ['CANCELLED', cancelled<number>()],
    ['CANCELLED_AND_NOTIFIED', cancelledAndNotified<number>()],
    ['FINISHED (result)', finished(1)],
    ['FINISHED (error)', failed<number>(new Error('boom'))],
  ])(
    'setResult() and setException() on %s throw InvalidStateError and change nothing',
    async (_label, future) => {
      const before = future.state;
      const outcomeBefore = await future.exception().then(
        (error) => ({ error }),
        (error: unknown) => ({ rejected: error }),
      );
      expect(() => future.setResult(2)).toThrow(InvalidStateError);
      expect(() => future.setException(new Error('late'))).toThrow(InvalidStateError);
      expect(future.state).toBe(before);
      const outcomeAfter = await future.exception().then(
        (error) => ({ error }),
        (error: unknown) => ({ rejected: error }),
      );
      expect(outcomeAfter).toEqual(outcomeBefore);
      if (before === 'FINISHED' && !hasFailed(future))
        await expect(future.result()).resolves.toBe(1);
    },
  );

  test('the InvalidStateError message names the method and the future', () => {
    const future = finished(1);
    expect(() => future.setResult(2)).toThrow(/setResult\(\).*Future<finished/);
    expect(() => future.setRunningOrNotifyCancel()).toThrow(/setRunningOrNotifyCancel\(\)/);
  });
});

describe('cancel()', () => {
  test.each([
    ['PENDING', true, 'CANCELLED'],
    ['RUNNING', false, 'RUNNING'],
    ['CANCELLED', true, 'CANCELLED'],
    ['CANCELLED_AND_NOTIFIED', true, 'CANCELLED_AND_NOTIFIED'],
    ['FINISHED (result)', false, 'FINISHED'],
    ['FINISHED (error)', false, 'FINISHED'],
  ])('on a %s future returns %s and leaves it %s', (label, returned, after) => {
    const future = new Map(everyState()).get(label)!;
    expect(future.cancel()).toBe(returned);
    expect(future.state).toBe(after);
  });

  test('a finished future keeps its result after a refused cancel()', async () => {
    const future = finished('kept');
    expect(future.cancel()).toBe(false);
    await expect(future.result()).resolves.toBe('kept');
  });

  test('cancelling twice runs the done callbacks once', () => {
    const future = new Future<number>();
    const calls: string[] = [];
    future.addDoneCallback(() => calls.push('done'));
    expect(future.cancel()).toBe(true);
    expect(future.cancel()).toBe(true);
    future.setRunningOrNotifyCancel();
    expect(calls).toEqual(['done']);
  });

  test('a remote start that the worker already claimed makes cancel() return false and the future RUNNING', () => {
    const future = new Future<number>();
    let started = false;
    setRemoteStart(future, { hasStarted: () => started, preventStart: () => !started });
    expect(future.running()).toBe(false);
    started = true;
    expect(future.cancel()).toBe(false);
    expect(future.state).toBe('RUNNING');
  });

  test('a remote start that has not happened lets cancel() win', () => {
    const future = new Future<number>();
    let prevented = 0;
    setRemoteStart(future, { hasStarted: () => false, preventStart: () => ++prevented > 0 });
    expect(future.cancel()).toBe(true);
    expect(prevented).toBe(1);
    expect(future.state).toBe('CANCELLED');
  });

  test('state reports a remote start as RUNNING, with no running() asked first', () => {
    const future = new Future<number>();
    let started = false;
    setRemoteStart(future, { hasStarted: () => started, preventStart: () => !started });
    expect(future.state).toBe('PENDING');
    started = true;
    expect(future.state).toBe('RUNNING');
  });

  test('running() reports a remote start the moment the worker claims the call', () => {
    const future = new Future<number>();
    let started = false;
    setRemoteStart(future, { hasStarted: () => started, preventStart: () => !started });
    expect(future.running()).toBe(false);
    started = true;
    expect(future.running()).toBe(true);
    expect(future.state).toBe('RUNNING');
  });
});

describe('done callbacks', () => {
  test('run in the order added, with the future, synchronously inside setResult()', () => {
    const future = new Future<number>();
    const calls: Array<[string, Future<number>, string]> = [];
    future.addDoneCallback((f) => calls.push(['a', f, f.state]));
    future.addDoneCallback((f) => calls.push(['b', f, f.state]));
    future.addDoneCallback((f) => calls.push(['c', f, f.state]));
    expect(calls).toEqual([]);
    future.setResult(1);
    expect(calls).toEqual([
      ['a', future, 'FINISHED'],
      ['b', future, 'FINISHED'],
      ['c', future, 'FINISHED'],
    ]);
  });

  test('run synchronously inside setException()', () => {
    const future = running<number>();
    const calls: string[] = [];
    future.addDoneCallback((f) => calls.push(`1:${hasFailed(f)}`));
    future.addDoneCallback((f) => calls.push(`2:${hasFailed(f)}`));
    future.setException(new Error('boom'));
    expect(calls).toEqual(['1:true', '2:true']);
  });

  test('run synchronously inside cancel(), with the future already cancelled', () => {
    const future = new Future<number>();
    const calls: boolean[] = [];
    future.addDoneCallback((f) => calls.push(f.cancelled()));
    future.cancel();
    expect(calls).toEqual([true]);
  });

  test('do not run when the call starts', () => {
    const future = new Future<number>();
    const calls: string[] = [];
    future.addDoneCallback(() => calls.push('done'));
    future.setRunningOrNotifyCancel();
    expect(calls).toEqual([]);
    future.setResult(3);
    expect(calls).toEqual(['done']);
  });

  test.each([
    ['finished', () => finished(1)],
    ['failed', () => failed<number>(new Error('x'))],
    ['cancelled', () => cancelled<number>()],
    ['cancelled and notified', () => cancelledAndNotified<number>()],
  ])('added to a %s future, runs at once, synchronously', (_label, make) => {
    const future = make();
    const calls: Array<Future<number>> = [];
    future.addDoneCallback((f) => calls.push(f));
    expect(calls).toEqual([future]);
  });

  test('can read the outcome from inside the callback', async () => {
    const future = new Future<string>();
    let seen: Promise<string> | undefined;
    future.addDoneCallback((f) => {
      seen = f.result();
    });
    future.setResult('value');
    await expect(seen).resolves.toBe('value');
  });

  test('a throwing callback is written to stderr with its future, and the others still run', () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const future = new Future<number>();
      const calls: string[] = [];
      const error = new Error('callback failed');
      future.addDoneCallback(() => calls.push('before'));
      future.addDoneCallback(() => {
        throw error;
      });
      future.addDoneCallback(() => calls.push('after'));
      expect(() => future.setResult(1)).not.toThrow();
      expect(calls).toEqual(['before', 'after']);
      expect(spy).toHaveBeenCalledTimes(1);
      const logged = spy.mock.calls[0]!;
      expect(String(logged[0])).toContain(String(future));
      expect(logged).toContain(error);
    } finally {
      spy.mockRestore();
    }
  });

  test('a throwing callback added after the future is done is written to stderr, not thrown', () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const future = failed<number>(new Error('task'));
      const error = new Error('late callback failed');
      expect(() =>
        future.addDoneCallback(() => {
          throw error;
        }),
      ).not.toThrow();
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]).toContain(error);
    } finally {
      spy.mockRestore();
    }
  });

  test('an async callback that rejects is written to stderr, not left as an unhandled rejection', async () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const future = new Future<number>();
      const error = new Error('async callback failed');
      future.addDoneCallback(async () => {
        await Promise.resolve();
        throw error;
      });
      future.setResult(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(String(spy.mock.calls[0]![0])).toContain(String(future));
      expect(spy.mock.calls[0]).toContain(error);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      spy.mockRestore();
    }
  });

  test('a throwing callback inside cancel() still lets cancel() return true', () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const future = new Future<number>();
      future.addDoneCallback(() => {
        throw new Error('nope');
      });
      expect(future.cancel()).toBe(true);
      expect(future.state).toBe('CANCELLED');
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  test('a chain of futures that overflows the stack says so, once the stack has unwound', async () => {
    // Each future is finished by the previous one's callback: deep enough, a callback overflows
    // the stack, and so would printing its RangeError right there. Python logs its RecursionError.
    const printed: unknown[][] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      printed.push(args);
    });
    try {
      const chain = Array.from({ length: 50_000 }, () => new Future<number>());
      for (let i = 0; i < chain.length - 1; i++) {
        const next = chain[i + 1]!;
        chain[i]!.addDoneCallback(() => next.setResult(i));
      }
      chain[0]!.setResult(0);
      expect(chain.at(-1)!.done()).toBe(false); // it did overflow
      await new Promise((resolve) => setImmediate(resolve));
      const overflows = printed.filter(
        ([, error]) => error instanceof RangeError && /call stack/.test(error.message),
      );
      expect(overflows.length).toBeGreaterThanOrEqual(1);
      expect(String(overflows[0]![0])).toMatch(/^exception calling callback for Future</);
    } finally {
      spy.mockRestore();
    }
  });

  test('a callback RangeError that console.error cannot print is said later, never thrown', async () => {
    // Not a stack overflow: printing it later fails the same way, and must end in the fallback
    // line, not in an uncaught error from the deferred print.
    const spy = jest.spyOn(console, 'error').mockImplementation(() => {
      throw new Error('console.error is not allowed in this test setup');
    });
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const future = new Future<number>();
      future.addDoneCallback(() => {
        void new Array(-1);
      });
      future.setResult(1);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(String(write.mock.calls.at(-1)?.[0])).toMatch(
        /exception calling callback for Future<.*could not be printed/,
      );
    } finally {
      spy.mockRestore();
      write.mockRestore();
    }
  });

  test('a console.error that throws, or a value whose description throws, disturbs nothing', () => {
    // Both once escaped setResult(): an event loop executor lost its slot and its later calls.
    const spy = jest.spyOn(console, 'error').mockImplementation(() => {
      throw new Error('console.error is not allowed in this test setup');
    });
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const hostile = {
        get constructor(): never {
          throw new Error('no constructor for you');
        },
      };
      const future = new Future<unknown>();
      const calls: string[] = [];
      future.addDoneCallback(() => {
        throw new Error('callback failed');
      });
      future.addDoneCallback(() => calls.push('after'));
      expect(() => future.setResult(hostile)).not.toThrow();
      expect(calls).toEqual(['after']);
      expect(String(future)).toBe('Future<finished returned Object>');
      expect(spy).toHaveBeenCalledTimes(1);
      expect(String(write.mock.calls[0]![0])).toMatch(
        /exception calling callback for Future<.*could not be printed/,
      );
      const proxy = new Future<unknown>();
      proxy.setException(
        new Proxy(
          {},
          {
            getPrototypeOf() {
              throw new Error('trap');
            },
          },
        ),
      );
      expect(String(proxy)).toBe('Future<finished raised Error>');
    } finally {
      write.mockRestore();
      spy.mockRestore();
    }
  });

  test('addDoneCallback() refuses a value that is not a function', () => {
    const future = new Future<number>();
    expect(() => future.addDoneCallback('nope' as unknown as () => void)).toThrow(TypeError);
  });
});

describe('result() and exception() without a timeout', () => {
  test('result() resolves with the value, set before or after the call', async () => {
    await expect(finished(42).result()).resolves.toBe(42);
    const later = running<number>();
    const promise = later.result();
    later.setResult(7);
    await expect(promise).resolves.toBe(7);
  });

  test("result() rejects with the call's own error, the same object", async () => {
    const error = new TypeError('bad');
    await expect(failed(error).result()).rejects.toBe(error);
    const later = running<number>();
    const promise = later.result();
    later.setException(error);
    await expect(promise).rejects.toBe(error);
  });

  test('result() rejects with whatever non-Error value the call threw', async () => {
    await expect(failed(42).result()).rejects.toBe(42);
  });

  test('result() rejects with CancelledError, cancelled before or after the call', async () => {
    await expect(cancelled().result()).rejects.toBeInstanceOf(CancelledError);
    await expect(cancelledAndNotified().result()).rejects.toBeInstanceOf(CancelledError);
    const later = new Future<number>();
    const promise = later.result();
    later.cancel();
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
  });

  test('exception() resolves with the error, or undefined when the call succeeded', async () => {
    const error = new RangeError('r');
    await expect(failed(error).exception()).resolves.toBe(error);
    await expect(finished('fine').exception()).resolves.toBeUndefined();
    const later = running<number>();
    const promise = later.exception();
    later.setException(error);
    await expect(promise).resolves.toBe(error);
    const laterOk = running<number>();
    const okPromise = laterOk.exception();
    laterOk.setResult(1);
    await expect(okPromise).resolves.toBeUndefined();
  });

  test('exception() rejects with CancelledError, cancelled before or after the call', async () => {
    await expect(cancelled().exception()).rejects.toBeInstanceOf(CancelledError);
    const later = new Future<number>();
    const promise = later.exception();
    later.cancel();
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
  });

  test('several waiters on one future all get the outcome', async () => {
    const future = running<number>();
    const all = Promise.all([
      future.result(),
      future.result(),
      future.exception(),
      future.result(1000),
    ]);
    future.setResult(5);
    await expect(all).resolves.toEqual([5, 5, undefined, 5]);
  });
});

describe('result() and exception() with a timeout', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('result(timeout) rejects with TimeoutError once the timeout passes; the future is unaffected', async () => {
    const future = running<number>();
    let outcome: unknown = 'unsettled';
    future.result(100).then(
      (value) => (outcome = value),
      (error: unknown) => (outcome = error),
    );
    await jest.advanceTimersByTimeAsync(99);
    expect(outcome).toBe('unsettled');
    await jest.advanceTimersByTimeAsync(1);
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect(future.state).toBe('RUNNING');
    expect(waiterCount(future)).toBe(0);
    future.setResult(3);
    await expect(future.result()).resolves.toBe(3);
  });

  test('exception(timeout) rejects with TimeoutError once the timeout passes', async () => {
    const future = pending<number>();
    const promise = future.exception(50);
    const expectation = expect(promise).rejects.toBeInstanceOf(TimeoutError);
    await jest.advanceTimersByTimeAsync(50);
    await expectation;
    expect(future.done()).toBe(false);
    expect(waiterCount(future)).toBe(0);
  });

  test('result(timeout) resolves when the future finishes in time, and leaves no timer or waiter', async () => {
    const future = running<number>();
    const promise = future.result(100);
    expect(waiterCount(future)).toBe(1);
    await jest.advanceTimersByTimeAsync(60);
    future.setResult(9);
    await expect(promise).resolves.toBe(9);
    expect(jest.getTimerCount()).toBe(0);
    expect(waiterCount(future)).toBe(0);
  });

  test('result(timeout) rejects with the error or CancelledError when the future ends in time that way', async () => {
    const failing = running<number>();
    const error = new Error('boom');
    const failure = failing.result(100);
    failing.setException(error);
    await expect(failure).rejects.toBe(error);

    const cancelling = pending<number>();
    const cancellation = cancelling.result(100);
    const exceptionCancellation = cancelling.exception(100);
    cancelling.cancel();
    await expect(cancellation).rejects.toBeInstanceOf(CancelledError);
    await expect(exceptionCancellation).rejects.toBeInstanceOf(CancelledError);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('exception(timeout) resolves with the error when the future fails in time', async () => {
    const future = running<number>();
    const error = new Error('in time');
    const promise = future.exception(100);
    future.setException(error);
    await expect(promise).resolves.toBe(error);
  });

  test('timeout 0: a done future gives its outcome, a pending one times out', async () => {
    await expect(finished(1).result(0)).resolves.toBe(1);
    await expect(failed(new Error('e')).exception(0)).resolves.toEqual(new Error('e'));
    const future = pending<number>();
    const promise = future.result(0);
    const expectation = expect(promise).rejects.toBeInstanceOf(TimeoutError);
    await jest.advanceTimersByTimeAsync(0);
    await expectation;
  });

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['Infinity', Infinity],
  ])('a timeout of %s means no timeout', async (_label, timeout) => {
    const future = running<number>();
    let outcome: unknown = 'unsettled';
    future.result(timeout as number).then(
      (value) => (outcome = value),
      (error: unknown) => (outcome = error),
    );
    let exceptionOutcome: unknown = 'unsettled';
    future.exception(timeout as number).then(
      (value) => (exceptionOutcome = value),
      (error: unknown) => (exceptionOutcome = error),
    );
    await jest.advanceTimersByTimeAsync(10 * 24 * 3600 * 1000);
    expect([outcome, exceptionOutcome]).toEqual(['unsettled', 'unsettled']);
    future.setResult(8);
    await jest.advanceTimersByTimeAsync(0);
    expect([outcome, exceptionOutcome]).toEqual([8, undefined]);
  });

  test('the TimeoutError message names the timeout', async () => {
    const promise = pending().result(25);
    const expectation = expect(promise).rejects.toThrow(/25/);
    await jest.advanceTimersByTimeAsync(25);
    await expectation;
  });
});

test('a timeout too long for one setTimeout (over 2^31 - 1 ms) does not fire early', async () => {
  // Node runs a setTimeout longer than 2^31 - 1 ms after 1 ms instead; real timers on purpose.
  const future = running<number>();
  let outcome: unknown = 'unsettled';
  future.result(2 ** 31).then(
    (value) => (outcome = value),
    (error: unknown) => (outcome = error),
  );
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(outcome).toBe('unsettled');
  future.setResult(1);
  await new Promise((resolve) => setImmediate(resolve));
  expect(outcome).toBe(1);
});

describe('bad timeouts', () => {
  test.each([
    ['-1', -1],
    ['NaN', NaN],
    ['-Infinity', -Infinity],
  ])(
    'result(%s) and exception(%s) reject with RangeError naming the timeout',
    async (_label, timeout) => {
      const future = pending<number>();
      const result = future.result(timeout);
      const exception = future.exception(timeout);
      await expect(result).rejects.toBeInstanceOf(RangeError);
      await expect(exception).rejects.toBeInstanceOf(RangeError);
      await expect(future.result(timeout)).rejects.toThrow(/`timeout`/);
      expect(waiterCount(future)).toBe(0);
    },
  );

  test.each([
    ['a string', '5'],
    ['an object', {}],
    ['a boolean', true],
    ['a bigint', 5n],
  ])('result() and exception() reject with TypeError for %s', async (_label, timeout) => {
    const future = finished(1);
    await expect(future.result(timeout as unknown as number)).rejects.toBeInstanceOf(TypeError);
    await expect(future.exception(timeout as unknown as number)).rejects.toBeInstanceOf(TypeError);
    await expect(future.result(timeout as unknown as number)).rejects.toThrow(/`timeout`/);
  });

  test('a bad timeout rejects the promise; it never throws synchronously', async () => {
    const future = pending<number>();
    let promise: Promise<number> | undefined;
    expect(() => {
      promise = future.result(-5);
    }).not.toThrow();
    await expect(promise).rejects.toThrow(RangeError);
  });
});

describe('awaiting a future', () => {
  test('await gives the result or throws the error', async () => {
    expect(await finished('v')).toBe('v');
    const error = new Error('thrown');
    await expect((async () => await failed(error))()).rejects.toBe(error);
    const later = running<number>();
    setImmediate(() => later.setResult(11));
    expect(await later).toBe(11);
  });

  test('await on a cancelled future throws CancelledError', async () => {
    await expect((async () => await cancelled())()).rejects.toBeInstanceOf(CancelledError);
  });

  test('Promise.all over futures', async () => {
    const futures = [running<number>(), running<number>(), finished(0)];
    setImmediate(() => {
      futures[1]!.setResult(2);
      futures[0]!.setResult(1);
    });
    expect(await Promise.all(futures)).toEqual([1, 2, 0]);
  });

  test('Promise.all rejects with the first error', async () => {
    const error = new Error('second');
    const futures = [running<number>(), running<number>()];
    setImmediate(() => futures[1]!.setException(error));
    await expect(Promise.all(futures)).rejects.toBe(error);
  });

  test('then / catch / finally behave as on a promise of result()', async () => {
    const finallyCalls: string[] = [];
    await expect(finished(2).then((v) => v * 10)).resolves.toBe(20);
    await expect(
      failed<number>(new Error('e')).then(undefined, (e) => (e as Error).message),
    ).resolves.toBe('e');
    await expect(failed<number>(new Error('c')).catch((e) => (e as Error).message)).resolves.toBe(
      'c',
    );
    await expect(finished(3).catch(() => 0)).resolves.toBe(3);
    await expect(finished(4).finally(() => finallyCalls.push('ok'))).resolves.toBe(4);
    await expect(failed(new Error('f')).finally(() => finallyCalls.push('failed'))).rejects.toThrow(
      'f',
    );
    expect(finallyCalls).toEqual(['ok', 'failed']);
  });
});

test('failed and cancelled futures that nobody awaits never raise unhandledRejection', () => {
  // Jest intercepts unhandled rejections itself, so a real listener runs in a child process.
  const probe = fileURLToPath(new URL('./support/unhandled-probe.ts', import.meta.url));
  const output = execFileSync(process.execPath, ['--import', 'tsx', probe], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen = JSON.parse(output.trim().split('\n').pop()!) as {
    control: string[];
    futures: string[];
  };
  expect(seen).toEqual({ control: ['control'], futures: [] });
});

describe('printing', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }

  test.each([
    ['pending', () => pending(), /pending/],
    ['running', () => running(), /running/],
    ['cancelled', () => cancelled(), /cancelled/],
    ['cancelled and notified', () => cancelledAndNotified(), /cancelled/],
    ['finished with a number', () => finished(1), /finished.*number/],
    ['finished with a string', () => finished('s'), /finished.*string/],
    ['finished with a class instance', () => finished(new Point(1, 2)), /finished.*Point/],
    ['finished with null', () => finished(null), /finished.*null/],
    ['failed with a TypeError', () => failed(new TypeError('t')), /TypeError/],
    ['failed with an error subclass', () => failed(new CancelledError()), /CancelledError/],
  ])('String() and util.inspect() of a %s future show it', (_label, make, pattern) => {
    const future = make();
    expect(String(future)).toMatch(pattern);
    expect(`${future}`).toMatch(pattern);
    expect(inspect(future)).toMatch(pattern);
    expect(inspect({ nested: future })).toMatch(pattern);
  });

  test('the states print differently from one another', () => {
    const printed = everyState().map(([, future]) => String(future));
    // CANCELLED and CANCELLED_AND_NOTIFIED both print as cancelled: users never see the difference.
    expect(new Set(printed).size).toBe(5);
  });

  test('Object.prototype.toString names it a Future', () => {
    expect(Object.prototype.toString.call(new Future())).toBe('[object Future]');
  });
});
