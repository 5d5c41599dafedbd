// Futures from two copies of the package are one kind (the contract's ruling): here the source
// (what tests/unit imports) and the built CommonJS bundle are two copies with two Future classes,
// and wait(), asCompleted() and instanceof of each accept the other's futures. So are the error
// classes: an app on the ESM build tests with instanceof the errors a CommonJS dependency's copy
// threw.

import { createRequire } from 'node:module';
import * as mineCopy from '../../src/index.js';
import {
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  CancelledError,
  Future,
  InvalidStateError,
  TimeoutError,
  wait,
  ALL_COMPLETED,
} from '../../src/index.js';

const otherCopy = createRequire(import.meta.url)('../../dist/cjs/index.js') as typeof mineCopy;

test('the two copies have distinct classes (else this file would prove nothing)', () => {
  expect(otherCopy.Future).not.toBe(Future);
});

test('instanceof Future accepts a future of either copy, and nothing else', () => {
  expect(new otherCopy.Future() instanceof Future).toBe(true);
  expect(new Future() instanceof otherCopy.Future).toBe(true);
  expect({ then() {}, done: () => true } instanceof Future).toBe(false);
  expect((null as unknown) instanceof Future).toBe(false);
  expect(Object.create(null) instanceof Future).toBe(false);
});

test('a subclass keeps the plain prototype check', () => {
  class TaggedFuture<T> extends Future<T> {}
  expect(new TaggedFuture() instanceof Future).toBe(true);
  expect(new TaggedFuture() instanceof TaggedFuture).toBe(true);
  expect(new Future() instanceof TaggedFuture).toBe(false);
  expect(new otherCopy.Future() instanceof TaggedFuture).toBe(false);
});

test('wait() of one copy waits on futures of both', async () => {
  const mine = new Future<number>();
  const theirs = new otherCopy.Future<string>();
  setTimeout(() => theirs.setResult('theirs'), 5);
  mine.setResult(1);
  const { done, notDone } = await wait([mine, theirs], {
    returnWhen: ALL_COMPLETED,
    timeout: 10_000,
  });
  expect([...done]).toEqual(expect.arrayContaining([mine, theirs]));
  expect(notDone.size).toBe(0);
  const other = await otherCopy.wait([mine, theirs], { timeout: 10_000 });
  expect(other.done.size).toBe(2);
});

test('asCompleted() of either copy yields futures of both as they end', async () => {
  const mine = new Future<string>();
  const theirs = new otherCopy.Future<string>();
  setTimeout(() => mine.setResult('mine'), 10);
  setTimeout(() => theirs.setResult('theirs'), 1);
  const seen: string[] = [];
  for await (const future of otherCopy.asCompleted([mine, theirs]))
    seen.push(await future.result());
  expect(seen).toEqual(['theirs', 'mine']);
});

test("instanceof each error class accepts the other copy's errors, its subclasses', and no other", async () => {
  const classes = {
    CancelledError,
    TimeoutError,
    InvalidStateError,
    BrokenExecutor,
    BrokenThreadPool,
    BrokenProcessPool,
  };
  for (const [name, mine] of Object.entries(classes)) {
    const Theirs = otherCopy[name as keyof typeof classes];
    expect(Theirs).not.toBe(mine);
    expect(new Theirs('x') instanceof mine).toBe(true);
    expect(new mine('x') instanceof Theirs).toBe(true);
  }
  expect(new otherCopy.BrokenProcessPool('x') instanceof BrokenExecutor).toBe(true);
  expect(new otherCopy.BrokenProcessPool('x') instanceof BrokenThreadPool).toBe(false);
  expect(new otherCopy.BrokenExecutor('x') instanceof BrokenProcessPool).toBe(false);
  expect(new otherCopy.TimeoutError('x') instanceof CancelledError).toBe(false);
  // As the other copy makes them: a wait that times out, a cancelled future.
  const pending = new otherCopy.Future();
  expect(await pending.result(1).catch((error: unknown) => error)).toBeInstanceOf(TimeoutError);
  const cancelled = new otherCopy.Future();
  cancelled.cancel();
  expect(await cancelled.result().catch((error: unknown) => error)).toBeInstanceOf(CancelledError);
  // Lookalikes: an error of the same name, a DOMException TimeoutError, a Proxy whose traps throw.
  class Lookalike extends Error {
    override name = 'TimeoutError';
  }
  expect(new Lookalike() instanceof TimeoutError).toBe(false);
  expect(new DOMException('late', 'TimeoutError') instanceof TimeoutError).toBe(false);
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        return null;
      },
    },
  );
  expect(hostile instanceof TimeoutError).toBe(false);
  expect((undefined as unknown) instanceof TimeoutError).toBe(false);
});
