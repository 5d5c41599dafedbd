// A submitted function whose `name` is a getter that throws (or a Proxy's trap that throws): the
// pool names the function for its worker and for its messages without running that getter, so
// submit() neither throws the user's error nor fails the call; the function runs as any other.

import { EventLoopExecutor, TimeoutError } from 'concurrent-futures';
import { KINDS, cleanUpAfterEach, makePool, withTimeout } from './support.js';

cleanUpAfterEach();

function withThrowingName<F extends (...args: any[]) => unknown>(fn: F): F {
  Object.defineProperty(fn, 'name', {
    get(): never {
      throw new Error('the name getter ran');
    },
  });
  return fn;
}

describe.each(KINDS)('%s pool', (kind) => {
  test('submit() of a function whose name getter throws runs it', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const fn = withThrowingName((n: number) => n + 1);
    expect(await withTimeout(pool.submit(fn, 41), 20_000, 'the call')).toBe(42);
    await withTimeout(pool.shutdown(), 20_000, 'shutdown()');
  });

  test('a bound function whose name getter throws is refused with our own TypeError', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const bound = withThrowingName(((n: number) => n).bind(null));
    expect(() => pool.submit(bound, 1)).toThrow(/Cannot send the native function "\(anonymous\)"/);
    await withTimeout(pool.shutdown(), 20_000, 'shutdown()');
  });
});

test('EventLoopExecutor: a timed-out call whose name getter throws fails with a TimeoutError', async () => {
  const executor = new EventLoopExecutor();
  const fn = withThrowingName(() => new Promise(() => undefined));
  const outcome = executor.schedule(fn, { timeout: 10 }).then(
    () => 'returned',
    (error: unknown) => error,
  );
  const error = await withTimeout(outcome, 20_000, 'the call');
  expect(error).toBeInstanceOf(TimeoutError);
  expect((error as Error).message).toMatch(/^the submitted function ran past its timeout/);
  executor.shutdown({ wait: false });
});
