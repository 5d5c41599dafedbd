// The error classes: each extends Error, names itself, keeps its cause; the Broken* hierarchy; and
// the errors the library throws are new instances of the exported classes.

import {
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  CancelledError,
  InvalidStateError,
  TimeoutError,
} from '../../src/index.js';
import { cancelled, finished, running } from './support/futures.js';

const classes = [
  ['CancelledError', CancelledError],
  ['TimeoutError', TimeoutError],
  ['InvalidStateError', InvalidStateError],
  ['BrokenExecutor', BrokenExecutor],
  ['BrokenThreadPool', BrokenThreadPool],
  ['BrokenProcessPool', BrokenProcessPool],
] as const;

test.each(classes)(
  '%s extends Error, sets name to its class name, keeps message and cause',
  (name, ErrorClass) => {
    const cause = new Error('underneath');
    const error = new ErrorClass('what happened', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.name).toBe(name);
    expect(error.constructor.name).toBe(name);
    expect(error.message).toBe('what happened');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe(`${name}: what happened`);
    expect(error.stack).toContain(name);
  },
);

test('CancelledError and TimeoutError have a default message', () => {
  expect(new CancelledError().message).toMatch(/cancel/i);
  expect(new TimeoutError().message).toMatch(/time/i);
});

test('BrokenThreadPool and BrokenProcessPool are BrokenExecutors, and not each other', () => {
  const thread = new BrokenThreadPool('t');
  const process = new BrokenProcessPool('p');
  expect(thread).toBeInstanceOf(BrokenExecutor);
  expect(process).toBeInstanceOf(BrokenExecutor);
  expect(thread).not.toBeInstanceOf(BrokenProcessPool);
  expect(process).not.toBeInstanceOf(BrokenThreadPool);
  expect(new BrokenExecutor('b')).not.toBeInstanceOf(BrokenThreadPool);
});

test('the other classes are unrelated to one another', () => {
  expect(new CancelledError()).not.toBeInstanceOf(TimeoutError);
  expect(new TimeoutError()).not.toBeInstanceOf(CancelledError);
  expect(new InvalidStateError('x')).not.toBeInstanceOf(BrokenExecutor);
});

test('the library throws a new instance of the exported class each time', async () => {
  const future = cancelled<number>();
  const first = await future.result().catch((error: unknown) => error);
  const second = await future.result().catch((error: unknown) => error);
  expect(first).toBeInstanceOf(CancelledError);
  expect(second).toBeInstanceOf(CancelledError);
  expect(first).not.toBe(second);

  const done = finished(1);
  const errors = [0, 1].map(() => {
    try {
      done.setResult(2);
    } catch (error) {
      return error;
    }
    return undefined;
  });
  expect(errors[0]).toBeInstanceOf(InvalidStateError);
  expect(errors[0]).not.toBe(errors[1]);

  const timedOut = await running()
    .result(0)
    .catch((error: unknown) => error);
  expect(timedOut).toBeInstanceOf(TimeoutError);
  expect((timedOut as Error).name).toBe('TimeoutError');
});
