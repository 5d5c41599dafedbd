// Futures from two copies of the package are one kind (the contract's ruling): here the source
// (what tests/unit imports) and the built CommonJS bundle are two copies with two Future classes,
// and wait(), asCompleted() and instanceof of each accept the other's futures.

import { createRequire } from 'node:module';
import { asCompleted, Future, wait, ALL_COMPLETED } from '../../src/index.js';

const otherCopy = createRequire(import.meta.url)('../../dist/cjs/index.js') as {
  Future: typeof Future;
  wait: typeof wait;
  asCompleted: typeof asCompleted;
};

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
