// Values that cannot even be described: a getter that throws an object with no prototype (so no
// message and no toString), a module whose evaluation throws one, a getter that throws null.
// Building the error message for such a value must not become a second fault: each call fails
// alone, with a message, and the same worker goes on (a process pool is not broken).

import { fromModule } from 'concurrent-futures';
import { KINDS, cleanUpAfterEach, makePool, withTimeout } from './support.js';

cleanUpAfterEach();

async function outcome(future: PromiseLike<unknown>): Promise<string> {
  return Promise.resolve(future).then(
    (value) => `ok ${String(value)}`,
    (error: unknown) => `error ${String((error as Error)?.message)}`,
  );
}

describe.each(KINDS)('%s pool', (kind) => {
  test('a result whose getter throws an undescribable value fails its call alone', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const bad = pool.submit(() => ({
      get x(): never {
        throw Object.create(null);
      },
    }));
    const after = pool.submit((n: number) => n + 1, 41);
    expect(await withTimeout(outcome(bad), 20_000, 'the bad call')).toMatch(
      /^error The call's result could not be sent back from the worker \(.*cannot be described\)/,
    );
    expect(await withTimeout(outcome(after), 20_000, 'the next call')).toBe('ok 42');
    expect(pool.workerIds).toHaveLength(1);
    await withTimeout(pool.shutdown(), 20_000, 'shutdown()');
  });

  test('an argument whose getter throws null fails its call alone', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const bad = pool.submit((value: unknown) => typeof value, {
      get y(): never {
        throw null;
      },
    });
    const after = pool.submit((n: number) => n + 1, 1);
    expect(await withTimeout(outcome(bad), 20_000, 'the bad call')).toMatch(
      /^error The arguments of .* could not be sent to a worker \(null\)/,
    );
    expect(await withTimeout(outcome(after), 20_000, 'the next call')).toBe('ok 2');
    await withTimeout(pool.shutdown(), 20_000, 'shutdown()');
  });

  test('a module whose evaluation throws an undescribable value fails the call that imports it', async () => {
    const pool = makePool(kind, { maxWorkers: 1 });
    const url = new URL('./fixtures/throws-undescribable.mjs', import.meta.url);
    const bad = pool.submit(fromModule<() => unknown>(url, 'anything'));
    const after = pool.submit((n: number) => n * 2, 21);
    expect(await withTimeout(outcome(bad), 20_000, 'the bad call')).toMatch(
      /^error Could not import module .*throws-undescribable\.mjs for its export "anything": .*cannot be described/,
    );
    expect(await withTimeout(outcome(after), 20_000, 'the next call')).toBe('ok 42');
    await withTimeout(pool.shutdown(), 20_000, 'shutdown()');
  });
});
