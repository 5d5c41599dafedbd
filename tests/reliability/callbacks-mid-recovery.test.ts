// A done callback runs synchronously, inside the pool's own bookkeeping: when a worker dies, or a
// batch turns out to hold arguments that cannot travel, the failed call's callback runs while the
// pool puts the other calls back. A callback that calls shutdown() (to stop on the first failure, a
// common pattern) must find every other call where the pool keeps it: shutdown() then waits for
// them, or cancels them with cancelFutures, and no worker is started once it has resolved.

import { describe, expect, test } from '@jest/globals';
import { ThreadPoolExecutor } from 'concurrent-futures';

const exitThread = (): never => process.exit(3);
const answer = (): string => 'b ran';

describe('ThreadPoolExecutor: shutdown() from the done callback of a failed call', () => {
  test('a worker that died holding a call it had not started: shutdown() waits for that call', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const dying = executor.submit(exitThread);
    const heldAhead = executor.submit(answer); // handed ahead to the same worker, never started
    let shutdown: Promise<void> | undefined;
    dying.addDoneCallback(() => {
      shutdown = executor.shutdown();
    });
    expect(await dying.exception()).toBeInstanceOf(Error);
    await shutdown;
    expect(heldAhead.state).toBe('FINISHED');
    expect(await heldAhead).toBe('b ran');
    expect(executor.workerIds).toEqual([]);
  });

  test('the same with cancelFutures: the call it had not started is cancelled, and never runs', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const dying = executor.submit(exitThread);
    const heldAhead = executor.submit(answer);
    let shutdown: Promise<void> | undefined;
    dying.addDoneCallback(() => {
      shutdown = executor.shutdown({ cancelFutures: true });
    });
    await dying.exception();
    await shutdown;
    expect(heldAhead.cancelled()).toBe(true);
    expect(executor.workerIds).toEqual([]);
    expect(executor.stats().calls).toMatchObject({ cancelled: 1, completed: 0, running: 0 });
  });

  test('a batch whose first arguments cannot travel: the calls sent after them can still be cancelled', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const echo = (x: unknown): unknown => {
      if (x === 'slow') {
        const end = Date.now() + 300;
        while (Date.now() < end);
      }
      return x;
    };
    // Measured fast, so that the next three calls travel as one batch, sent one by one when it
    // cannot be cloned whole.
    for (let round = 0; round < 3; round++)
      await Promise.all(Array.from({ length: 50 }, (_, i) => executor.submit(echo, i)));
    const unsendable = executor.submit(echo, () => 'a function cannot be cloned');
    const slow = executor.submit(echo, 'slow');
    const last = executor.submit(echo, 'last');
    let shutdown: Promise<void> | undefined;
    unsendable.addDoneCallback(() => {
      shutdown = executor.shutdown({ cancelFutures: true });
    });
    expect(await unsendable.exception()).toBeInstanceOf(TypeError);
    await shutdown;
    // The callback ran right after the batch was sent: the thread may or may not have claimed the
    // slow call yet, but not the last one, behind it for 300 ms. Before, neither was in the
    // worker's hands when the callback ran, and both ran after the shutdown had begun.
    expect(slow.cancelled() || (await slow) === 'slow').toBe(true);
    expect(last.cancelled()).toBe(true);
    expect(executor.workerIds).toEqual([]);
  });
});
