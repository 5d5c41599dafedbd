// A worker thread that dies fails only the call it was running, with an Error saying what
// happened; the pool replaces it and every other call (those handed ahead to the dying worker
// included) still runs, exactly once.

import { BrokenExecutor, BrokenThreadPool, ThreadPoolExecutor } from 'concurrent-futures';
import { Gate, record, warmUp } from './helpers.js';

const N = 200;
const myThreadId = async (): Promise<number> => (await import('node:worker_threads')).threadId;

async function dieAmongOthers(
  executor: ThreadPoolExecutor,
  fatal: () => unknown,
): Promise<{ error: unknown; gate: Gate; before: number[] }> {
  await warmUp(executor);
  const before = executor.workerIds;
  const gate = new Gate(2 * N);
  const first = Array.from({ length: N }, (_, i) => executor.submit(record, gate.sab, i));
  const dying = executor.submit(fatal);
  const after = Array.from({ length: N }, (_, i) => executor.submit(record, gate.sab, N + i));
  const error = await dying.exception();
  expect(await Promise.all([...first, ...after])).toEqual(
    Array.from({ length: 2 * N }, (_, i) => i),
  );
  for (let i = 0; i < 2 * N; i++) expect(gate.runs(i)).toBe(1);
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(BrokenExecutor);
  // The pool is not broken: a replacement worker runs the next calls.
  expect(await executor.submit((x: number) => x + 1, 41)).toBe(42);
  const replacement = await executor.submit(myThreadId);
  expect(before).not.toContain(replacement);
  expect(executor.workerIds).toEqual([replacement]);
  return { error, gate, before };
}

test('process.exit() inside a call', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const { error } = await dieAmongOthers(executor, () => process.exit(3));
  expect((error as Error).message).toMatch(/died/);
  expect((error as Error).message).toMatch(/exited with code 3/);
});

test('calls that finished just before a process.exit() keep their results', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  // One function, fast until it is told to exit: its results travel back in batches, so some are
  // still unsent when the worker exits; they must not fail with the call that exited.
  const maybeExit = (x: number): number => (x < 0 ? process.exit(5) : x);
  for (let round = 0; round < 5; round++) {
    await Promise.all(Array.from({ length: 500 }, (_, i) => executor.submit(maybeExit, i)));
    const before = Array.from({ length: 50 }, (_, i) => executor.submit(maybeExit, i));
    const dying = executor.submit(maybeExit, -1);
    const after = Array.from({ length: 50 }, (_, i) => executor.submit(maybeExit, 100 + i));
    expect(await Promise.all(before)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(((await dying.exception()) as Error).message).toMatch(/exited with code 5/);
    expect(await Promise.all(after)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
  }
});

test('calls handed ahead past several deaths in a row still run', async () => {
  // Each death is the running call's. The calls held behind it went back to the queue, were handed
  // ahead to the replacement, and met the next death there: after two such deaths they failed
  // unrun, blamed on their arguments and resourceLimits (none were set).
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const maybeExit = (die: boolean, x: number): number => (die ? process.exit(1) : x);
  await executor.submit(maybeExit, false, -1); // seen fast: later calls are handed ahead
  const dying = [1, 2, 3].map(() => executor.submit(maybeExit, true, 0));
  const innocent = Array.from({ length: 20 }, (_, i) => executor.submit(maybeExit, false, i));
  for (const future of dying)
    expect(((await future.exception()) as Error).message).toMatch(/exited with code 1/);
  expect(await Promise.all(innocent)).toEqual(Array.from({ length: 20 }, (_, i) => i));
});

test('an error thrown outside any call (in a timer the call set)', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const fatal = async (): Promise<string> => {
    setTimeout(() => {
      throw new Error('thrown from a timer');
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 10000));
    return 'unreachable';
  };
  const { error } = await dieAmongOthers(executor, fatal);
  expect((error as Error).message).toMatch(/uncaught error: thrown from a timer/);
  expect(((error as Error).cause as Error).message).toBe('thrown from a timer');
});

test('an unhandled rejection', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const fatal = async (): Promise<string> => {
    void Promise.reject(new TypeError('nobody handles this'));
    await new Promise((resolve) => setTimeout(resolve, 10000));
    return 'unreachable';
  };
  const { error } = await dieAmongOthers(executor, fatal);
  expect((error as Error).message).toMatch(/nobody handles this/);
});

test('out of memory under resourceLimits', async () => {
  await using executor = new ThreadPoolExecutor({
    maxWorkers: 1,
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  const hog = (): number => {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(100000).fill(hoard.length));
  };
  const { error } = await dieAmongOthers(executor, hog);
  expect((error as Error).message).toMatch(/out of memory/);
  expect((error as Error).message).toMatch(/resourceLimits/);
});

test('a worker that dies between calls fails nothing; the next call gets a new worker', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const leaveBomb = (): string => {
    setTimeout(() => {
      throw new Error('after the call');
    }, 20);
    return 'done';
  };
  const first = await executor.submit(myThreadId);
  expect(await executor.submit(leaveBomb)).toBe('done');
  const { until } = await import('./helpers.js');
  await until(() => !executor.workerIds.includes(first), 'the worker died');
  const second = await executor.submit(myThreadId);
  expect(second).not.toBe(first);
});

test('a worker that dies between calls says so in a warning: no future can carry its error', async () => {
  // In a process of its own: a warning goes to the real process, which jest's test sandbox hides.
  const { DIST_URL, runChild } = await import('./helpers.js');
  const script = `
    import { ThreadPoolExecutor } from ${JSON.stringify(DIST_URL)};
    process.on('warning', (warning) => {
      console.log(JSON.stringify({ code: warning.code, message: warning.message, detail: warning.detail }));
    });
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    await executor.submit(() => {
      setTimeout(() => { throw new Error('after the call'); }, 20);
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    console.log(JSON.stringify({ next: await executor.submit((x) => x + 1, 41) }));
    await executor.shutdown();
  `;
  const run = await runChild({ 'idle-death.mjs': script }, 'idle-death.mjs');
  expect(run.code).toBe(0);
  const [warning, next] = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(warning.code).toBe('CONCURRENT_FUTURES_WORKER_DIED_IDLE');
  expect(warning.message).toMatch(
    /died while it ran no call, after an uncaught error: after the call/,
  );
  expect(warning.detail).toMatch(/Error: after the call/);
  expect(next).toEqual({ next: 42 });
});

test("an error a call's timer throws while a later call runs: the message says it may be an earlier call's", async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  // The first call leaves a timer that throws once the second call says it runs (a flag on the
  // thread's global object, which the two share): whatever the machine's load, it throws during
  // the second call, never between the two.
  const leaveBomb = (): string => {
    const poll = setInterval(() => {
      if ((globalThis as { secondRuns?: boolean }).secondRuns !== true) return;
      clearInterval(poll);
      throw new Error('thrown by the first call');
    }, 5);
    return 'first returned';
  };
  const waitAWhile = async (): Promise<string> => {
    (globalThis as { secondRuns?: boolean }).secondRuns = true;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    return 'second returned';
  };
  expect(await executor.submit(leaveBomb)).toBe('first returned');
  const error = (await executor.submit(waitAWhile).exception()) as Error;
  expect(error.message).toMatch(/after an uncaught error: thrown by the first call/);
  expect(error.message).toMatch(
    /or from a timer or promise an earlier call on that thread left behind/,
  );
});

test('with several workers, a death takes only its own call', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 3 });
  const gate = new Gate(60);
  const futures = Array.from({ length: 60 }, (_, i) =>
    i === 30 ? executor.submit(() => process.exit(7)) : executor.submit(record, gate.sab, i),
  );
  const outcomes = await Promise.all(futures.map((future) => future.exception()));
  outcomes.forEach((outcome, i) => {
    if (i === 30) expect((outcome as Error).message).toMatch(/exited with code 7/);
    else expect(outcome).toBeUndefined();
  });
  for (let i = 0; i < 60; i++) expect(gate.runs(i)).toBe(i === 30 ? 0 : 1);
});

/** Submits (and cancels) a call every 20 ms until submit() throws; rejects after 30 s. */
function untilBroken(executor: ThreadPoolExecutor): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    const deadline = Date.now() + 30_000; // bounds a hang: the test is that it breaks at all
    const poll = setInterval(() => {
      try {
        executor.submit((x: number) => x, 1).cancel(); // throws once the pool is broken
      } catch (error) {
        clearInterval(poll);
        resolve(error);
      }
      if (Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error('the pool kept replacing dying workers for 30 s'));
      }
    }, 20);
  });
}

// A thread that dies before it runs anything was replaced by one that died the same way, forever:
// the call never settled, its timeout never fired, shutdown() never resolved.
describe('deaths before any call: no endless replacing', () => {
  test('a call whose arguments do not fit in resourceLimits fails after two threads; the pool goes on', async () => {
    const executor = new ThreadPoolExecutor({
      maxWorkers: 2,
      resourceLimits: { maxOldGenerationSizeMb: 6, maxYoungGenerationSizeMb: 2 },
    });
    try {
      const big = Array.from({ length: 600_000 }, (_, i) => ({ i, s: `v${i}` }));
      const error = (await executor
        .schedule((items: unknown[]) => items.length, { args: [big], timeout: 1000 })
        .exception()) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(BrokenExecutor);
      expect(error.message).toMatch(/^This call was not run: worker \d+ exited .* resourceLimits/);
      expect(await executor.submit((x: number) => x * 2, 21)).toBe(42);
      expect(executor.stats().calls).toMatchObject({
        running: 0,
        queued: 0,
        failed: 1,
        completed: 1,
      });
    } finally {
      await executor.shutdown();
    }
  });

  test('an initializer that leaves a promise it did not await breaks the pool, as one that throws does', async () => {
    const executor = new ThreadPoolExecutor({
      maxWorkers: 1,
      initializer: () => void Promise.reject(new Error('left behind')),
    });
    try {
      const error = (await executor.submit((x: number) => x, 1).exception()) as Error;
      expect(error).toBeInstanceOf(BrokenThreadPool);
      expect(error.message).toMatch(/after its initializer returned and before it ran any call/);
      expect((error.cause as Error).message).toBe('left behind');
      expect(() => executor.submit((x: number) => x, 2)).toThrow(BrokenThreadPool);
    } finally {
      await executor.shutdown();
    }
  });

  test('warm workers (minWorkers) killed by a timer their initializer left break the pool', async () => {
    // About 40 threads a second were started and lost, with no call submitted at all.
    const executor = new ThreadPoolExecutor({
      maxWorkers: 2,
      minWorkers: 2,
      initializer: () =>
        void setTimeout(() => {
          throw new Error('left behind');
        }, 5),
    });
    try {
      const broken = await untilBroken(executor);
      expect(broken).toBeInstanceOf(BrokenThreadPool);
      expect((broken as Error).message).toMatch(/a promise, a timer/);
    } finally {
      await executor.shutdown();
    }
  });

  test('warm workers (minWorkers) that die idle, of an initializer that fills memory, break the pool', async () => {
    const executor = new ThreadPoolExecutor({
      maxWorkers: 1,
      minWorkers: 1,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
      initializer: () =>
        void setTimeout(() => {
          const hoard: number[][] = [];
          for (;;) hoard.push(new Array(100_000).fill(1));
        }, 5),
    });
    try {
      const broken = await untilBroken(executor);
      expect(broken).toBeInstanceOf(BrokenThreadPool);
      expect((broken as Error).message).toMatch(/fills the worker's memory/);
    } finally {
      await executor.shutdown();
    }
  });
});
