// The EventLoopExecutor's limited calls (a timeout, a signal) as they run on one timer for the whole
// executor: deadlines of different lengths, the timer's hold on the process, and the p-queue slot
// an ended call gives up while its abandoned promise lingers.

import { EventLoopExecutor, TimeoutError } from 'concurrent-futures';
import { deferred, runScript, settle, unhandledRejectionsOf } from './support.js';

let executor: EventLoopExecutor;
afterEach(async () => {
  await executor?.shutdown({ cancelFutures: true });
});

describe('deadlines on one timer', () => {
  test('a short timeout that starts after a long one still ends first; calls that settle in time never fail', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 4 });
    const never = (): Promise<never> => new Promise(() => undefined);
    const ended: string[] = [];
    const long = executor.schedule(never, { timeout: 400 });
    const quick = executor.schedule(async () => 'in time', { timeout: 50 });
    const short = executor.schedule(never, { timeout: 60 });
    long.addDoneCallback(() => ended.push('long'));
    short.addDoneCallback(() => ended.push('short'));
    await expect(quick).resolves.toBe('in time');
    await expect(short).rejects.toThrow(TimeoutError);
    expect(ended).toEqual(['short']);
    await expect(long).rejects.toThrow(/timeout of 400 ms/);
    expect(ended).toEqual(['short', 'long']);
  });

  test('calls with many different timeouts each end at their own', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 8 });
    const timeouts = [120, 20, 80, 40, 100, 60];
    const order: number[] = [];
    const futures = timeouts.map((timeout) => {
      const future = executor.schedule(() => new Promise(() => undefined), { timeout });
      future.addDoneCallback(() => order.push(timeout));
      return future;
    });
    for (const future of futures) await expect(future).rejects.toThrow(TimeoutError);
    expect(order).toEqual([...timeouts].sort((a, b) => a - b));
  });

  test('timeouts that never fire, awaited one by one and in a burst, do not keep the process alive', async () => {
    // A timer that kept the process alive would hold it for 60 s, past runScript's 20 s bound.
    const { code, stdout, stderr } = await runScript('timeout-idle.mjs');
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: '10 50\n', stderr: '' });
  });

  test('a running call with a timeout keeps the process alive until its timeout fails it', async () => {
    const { code, stdout, stderr } = await runScript('timeout-pending.mjs');
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'TimeoutError\n', stderr: '' });
  });
});

describe('the slot of an ended call', () => {
  /** A call that counts how many calls run at once. */
  function counter(): { call: () => Promise<void>; max: () => number } {
    let running = 0;
    let max = 0;
    return {
      call: async () => {
        max = Math.max(max, ++running);
        await settle();
        running--;
      },
      max: () => max,
    };
  }

  test('is lent to the next call at once, and given back when the abandoned promise settles', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 1 });
    const held = deferred<string>();
    const abandoned = executor.schedule(() => held.promise, { timeout: 30 });
    const next = executor.submit(async () => 'next ran');
    await expect(abandoned).rejects.toThrow(TimeoutError);
    await expect(next).resolves.toBe('next ran'); // the abandoned call still holds its own slot
    held.resolve('too late');
    await settle();
    const { call, max } = counter();
    await Promise.all(Array.from({ length: 6 }, () => executor.submit(call)));
    expect(max()).toBe(1); // maxWorkers again, not 2
    await expect(abandoned.exception()).resolves.toBeInstanceOf(TimeoutError); // its late value is ignored
  });

  test('an abandoned promise that settles in the same tick as its end leaves maxWorkers as it was', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 1 });
    const unhandled = await unhandledRejectionsOf(async () => {
      for (let round = 0; round < 5; round++) {
        const held = deferred<string>();
        const controller = new AbortController();
        const ended = executor.schedule(() => held.promise, { signal: controller.signal });
        await settle(); // it runs
        // Settled, its await not yet resumed, when it is ended: it resumes before the slot is lent.
        held.resolve('settles at once');
        controller.abort(new Error('stop'));
        await expect(ended).rejects.toThrow('stop');
      }
      const { call, max } = counter();
      await Promise.all(Array.from({ length: 6 }, () => executor.submit(call)));
      expect(max()).toBe(1);
    });
    expect(unhandled).toEqual([]);
  });

  test('shutdown() does not wait for an abandoned call', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 2 });
    const ended = executor.schedule(() => new Promise(() => undefined), { timeout: 20 });
    await expect(ended).rejects.toThrow(TimeoutError);
    await expect(executor.shutdown()).resolves.toBeUndefined();
  });
});

test('a call ended during its own sync part frees its slot, and its later rejection is handled', async () => {
  executor = new EventLoopExecutor({ maxWorkers: 1 });
  const unhandled = await unhandledRejectionsOf(async () => {
    const controller = new AbortController();
    const ended = executor.schedule(
      () => {
        controller.abort(new Error('stopped from inside'));
        return new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 10));
      },
      { signal: controller.signal },
    );
    await expect(ended).rejects.toThrow('stopped from inside');
    await expect(executor.submit(() => 'next')).resolves.toBe('next');
  }, 50);
  expect(unhandled).toEqual([]);
});
