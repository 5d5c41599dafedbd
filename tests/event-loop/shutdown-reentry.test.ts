// shutdown() and stats() read or called from done callbacks while a shutdown cancels calls, or
// while a call's body sets those callbacks off; and shutdown({ cancelFutures }) while the
// initializer still runs. Each once went wrong (found by trying, see the commit).

import { EventLoopExecutor, ThreadPoolExecutor, type ExecutorStats } from 'concurrent-futures';
import { deferred, settle } from './support.js';

const executors: { shutdown(options?: object): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(executors.splice(0).map((e) => e.shutdown({ cancelFutures: true })));
});

function track<T extends { shutdown(options?: object): Promise<void> }>(executor: T): T {
  executors.push(executor);
  return executor;
}

/** A call that runs until released: on the event loop a promise, in a thread shared memory. */
interface Held {
  fn: (arg: unknown) => unknown;
  arg: unknown;
  release(): void;
}

function heldOnEventLoop(): Held {
  const hold = deferred();
  return { fn: () => hold.promise, arg: undefined, release: () => hold.resolve() };
}

function heldInThread(): Held {
  const gate = new SharedArrayBuffer(4);
  return {
    fn: (cells) => Atomics.wait(new Int32Array(cells as SharedArrayBuffer), 0, 0, 10_000),
    arg: gate,
    release() {
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
    },
  };
}

describe.each([
  ['EventLoopExecutor', () => new EventLoopExecutor({ maxWorkers: 1 }), heldOnEventLoop],
  ['ThreadPoolExecutor', () => new ThreadPoolExecutor({ maxWorkers: 1 }), heldInThread],
] as const)(
  '%s: shutdown() called again from a done callback of its own cancels',
  (_, make, held) => {
    test('gets the same wait as the first call', async () => {
      // It once got undefined (threads) or a TypeError (event loop): the first call had not yet
      // stored its promise when its cancels ran the callbacks.
      const executor = track(make());
      const hold = held();
      const running = executor.submit(hold.fn, hold.arg);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the first call has started
      const queued = executor.submit((x: number) => x, 1);
      let inner: unknown;
      queued.addDoneCallback(() => {
        inner = executor.shutdown();
      });
      const outer = executor.shutdown({ cancelFutures: true });
      expect(queued.cancelled()).toBe(true);
      expect(inner).toBeInstanceOf(Promise);
      let innerDone = false;
      void (inner as Promise<void>).then(() => (innerDone = true));
      await settle();
      expect(innerDone).toBe(false); // the running call still holds it
      hold.release();
      await Promise.all([outer, inner]);
      expect(running.done()).toBe(true);
    });
  },
);

describe('EventLoopExecutor', () => {
  test('stats() read from the done callbacks of a cancelling shutdown adds up', async () => {
    // It once read running 5 of maxWorkers 1 and failed -1: the cancelled calls had left the
    // queue but were not yet counted.
    const executor = track(new EventLoopExecutor({ maxWorkers: 1 }));
    const hold = deferred();
    executor.submit(() => hold.promise);
    const seen: ExecutorStats['calls'][] = [];
    for (let i = 0; i < 4; i++) {
      executor.submit(() => i).addDoneCallback(() => seen.push(executor.stats().calls));
    }
    await settle();
    const shutdown = executor.shutdown({ cancelFutures: true });
    hold.resolve();
    await shutdown;
    // The four are cancelled by one step of shutdown(): counted together, before the first callback.
    expect(seen).toEqual(
      Array(4).fill({ queued: 0, running: 1, completed: 0, failed: 0, cancelled: 4 }),
    );
  });

  test('stats() read from the done callbacks of calls failed by a broken initializer adds up', async () => {
    const initializing = deferred();
    const executor = track(
      new EventLoopExecutor({
        maxWorkers: 1,
        initializer: async () => {
          await initializing.promise;
          throw new Error('initializer failed');
        },
      }),
    );
    const seen: ExecutorStats['calls'][] = [];
    for (let i = 0; i < 3; i++) {
      executor.submit(() => i).addDoneCallback(() => seen.push(executor.stats().calls));
    }
    await settle();
    initializing.resolve();
    await executor.shutdown();
    expect(seen).toEqual(
      Array(3).fill({ queued: 0, running: 0, completed: 0, failed: 3, cancelled: 0 }),
    );
  });

  test('shutdown() from a done callback that a call set off (by a cancel) is not refused as "inside a call"', async () => {
    const executor = track(new EventLoopExecutor({ maxWorkers: 1 }));
    // eslint-disable-next-line prefer-const -- assigned after the call that reads it is submitted
    let victim: ReturnType<typeof executor.submit<[], string>> | undefined;
    const first = executor.submit(() => {
      victim!.cancel();
      return 'first';
    });
    victim = executor.submit(() => 'victim');
    let waited: Promise<void> | undefined;
    victim.addDoneCallback(() => {
      waited = executor.shutdown();
    });
    expect(await first).toBe('first');
    await expect(waited).resolves.toBeUndefined();
  });

  test('shutdown({ cancelFutures: true }) waits for an initializer still running', async () => {
    // It once resolved at once, leaving the initializer (and what it opens) running unwatched.
    const initializing = deferred();
    let initialized = false;
    const executor = track(
      new EventLoopExecutor({
        initializer: async () => {
          await initializing.promise;
          initialized = true;
        },
      }),
    );
    const call = executor.submit(() => 1);
    await settle(); // the initializer has started
    let shutDown = false;
    const shutdown = executor.shutdown({ cancelFutures: true }).then(() => (shutDown = true));
    expect(call.cancelled()).toBe(true);
    await settle();
    expect(shutDown).toBe(false);
    initializing.resolve();
    await shutdown;
    expect(initialized).toBe(true);
  });
});
