// `using` and `await using` (TypeScript downlevels both for our ES2022 target; the lib includes
// ESNext.Disposable): `await using` shuts down and waits, `using` shuts down without waiting.

import { Future } from '../../src/index.js';
import { observe, until } from './support/async.js';
import { InlineExecutor, recorder } from './support/inline-executor.js';

test('await using: the end of the scope waits for every submitted call', async () => {
  const calls = recorder([0]);
  let executor: InlineExecutor | undefined;
  let futures: Future<number>[] = [];
  const scope = observe(
    (async () => {
      await using inScope = new InlineExecutor({ maxWorkers: 1 });
      executor = inScope;
      futures = [0, 1].map((i) => inScope.submit(calls.fn, i));
    })(),
  );
  await until(() => calls.started.length === 1);
  expect(scope.current.status).toBe('pending');
  expect(executor!.shutDown).toBe(true);
  calls.release(0);
  await until(() => scope.current.status !== 'pending');
  expect(scope.current.status).toBe('fulfilled');
  expect(futures.map((f) => f.state)).toEqual(['FINISHED', 'FINISHED']);
  expect(() => executor!.submit(calls.fn, 2)).toThrow(/shut ?down/i);
});

test('await using: an error thrown in the scope still shuts down and waits, then propagates', async () => {
  const calls = recorder([0]);
  let future: Future<number> | undefined;
  const error = new Error('scope failed');
  const scope = observe(
    (async () => {
      await using executor = new InlineExecutor();
      future = executor.submit(calls.fn, 0);
      throw error;
    })(),
  );
  await until(() => calls.started.length === 1);
  expect(scope.current.status).toBe('pending');
  calls.release(0);
  await until(() => scope.current.status !== 'pending');
  expect(scope.current).toEqual({ status: 'rejected', reason: error });
  expect(future!.state).toBe('FINISHED');
});

test('using: the end of the scope shuts down without waiting; the calls still finish', async () => {
  const calls = recorder([0]);
  let executor: InlineExecutor | undefined;
  let futures: Future<number>[] = [];
  {
    using inScope = new InlineExecutor({ maxWorkers: 1 });
    executor = inScope;
    futures = [0, 1].map((i) => inScope.submit(calls.fn, i));
  }
  expect(executor.shutDown).toBe(true);
  expect(futures.some((f) => f.done())).toBe(false);
  expect(() => executor.submit(calls.fn, 2)).toThrow(/shut ?down/i);
  calls.release(0);
  expect(await Promise.all(futures)).toEqual([0, 1]);
});

test('the disposers directly: asyncDispose resolves once the calls are done, dispose returns nothing', async () => {
  const calls = recorder([0]);
  const waiting = new InlineExecutor();
  const future = waiting.submit(calls.fn, 0);
  const disposed = observe(waiting[Symbol.asyncDispose]());
  await until(() => calls.started.length === 1);
  expect(disposed.current.status).toBe('pending');
  calls.release(0);
  await until(() => disposed.current.status !== 'pending');
  expect(disposed.current).toEqual({ status: 'fulfilled', value: undefined });
  expect(future.done()).toBe(true);

  const notWaiting = new InlineExecutor();
  expect(notWaiting[Symbol.dispose]()).toBeUndefined();
  expect(notWaiting.shutDown).toBe(true);
  expect(notWaiting.shutdownStarts).toBe(1);
});
