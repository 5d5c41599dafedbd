// ThreadPoolExecutor: options, lazy start, thread names, the initializer, shutdown and disposal,
// all on real worker threads.

import { availableParallelism } from 'node:os';
import { Session } from 'node:inspector/promises';
import {
  BrokenExecutor,
  BrokenThreadPool,
  Future,
  ThreadPoolExecutor,
  fromModule,
} from 'concurrent-futures';
import { Gate, block, liveThreadIds, record, until } from './helpers.js';

const myThreadId = async (): Promise<number> => (await import('node:worker_threads')).threadId;

describe('options', () => {
  test('maxWorkers: default min(32, availableParallelism() + 4), also for undefined and null', async () => {
    const expected = Math.min(32, availableParallelism() + 4);
    // Seen from outside: with every call blocked, the pool starts exactly that many threads.
    for (const options of [undefined, { maxWorkers: null }]) {
      const executor = new ThreadPoolExecutor(options);
      const gate = new Gate();
      const futures = Array.from({ length: expected + 3 }, () => executor.submit(block, gate.sab));
      await until(() => executor.workerIds.length === expected, `${expected} workers started`);
      expect(executor.workerIds).toHaveLength(expected);
      gate.release();
      await Promise.all(futures);
      expect(executor.workerIds).toHaveLength(expected);
      await executor.shutdown();
    }
  });

  test('maxWorkers: a number that is not a positive integer is a RangeError, another type a TypeError', () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity]) {
      expect(() => new ThreadPoolExecutor({ maxWorkers: bad })).toThrow(RangeError);
      expect(() => new ThreadPoolExecutor({ maxWorkers: bad })).toThrow(/maxWorkers/);
    }
    for (const bad of ['2', true, {}, 2n]) {
      expect(() => new ThreadPoolExecutor({ maxWorkers: bad as never })).toThrow(TypeError);
      expect(() => new ThreadPoolExecutor({ maxWorkers: bad as never })).toThrow(/maxWorkers/);
    }
  });

  test('other bad options throw at once, naming the option', () => {
    expect(() => new ThreadPoolExecutor('fast' as never)).toThrow(TypeError);
    expect(() => new ThreadPoolExecutor({ threadNamePrefix: 7 as never })).toThrow(
      /threadNamePrefix/,
    );
    expect(() => new ThreadPoolExecutor({ initializer: 'setup' as never })).toThrow(/initializer/);
    expect(() => new ThreadPoolExecutor({ initargs: 'x' as never })).toThrow(/initargs/);
    expect(() => new ThreadPoolExecutor({ resourceLimits: 16 as never })).toThrow(/resourceLimits/);
  });
});

describe('lazy start', () => {
  test('no worker before the first call; one call at a time reuses one idle worker', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 4 });
    expect(executor.workerIds).toEqual([]);
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) seen.add(await executor.submit(myThreadId));
    expect(seen.size).toBe(1);
    expect(executor.workerIds).toEqual([...seen]);
  });

  test('a new worker only while none is idle, never more than maxWorkers', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 3 });
    const gate = new Gate();
    const blocked = [executor.submit(block, gate.sab), executor.submit(block, gate.sab)];
    await until(() => executor.workerIds.length === 2, 'two workers started');
    // Two busy workers: a third call starts a third worker; a fourth and fifth wait (max 3).
    const more = [
      executor.submit(block, gate.sab),
      executor.submit(block, gate.sab),
      executor.submit(block, gate.sab),
    ];
    await until(() => executor.workerIds.length === 3, 'a third worker started');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(executor.workerIds).toHaveLength(3);
    gate.release();
    await Promise.all([...blocked, ...more]);
    const ids = await Promise.all(Array.from({ length: 30 }, () => executor.submit(myThreadId)));
    expect(executor.workerIds).toHaveLength(3);
    for (const id of ids) expect(executor.workerIds).toContain(id);
  });

  test('a call is never started inside submit(): cancelled in the same tick, it never runs', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = new Gate(1);
    const recordIt = (sab: SharedArrayBuffer): void => void Atomics.add(new Int32Array(sab), 2, 1);
    const future = executor.submit(recordIt, gate.sab);
    expect(future.running()).toBe(false);
    expect(future.cancel()).toBe(true);
    await executor.submit(recordIt, gate.sab); // the worker has run everything it was given
    expect(gate.runs(0)).toBe(1);
  });
});

test('threadNamePrefix names the threads `${prefix}_${n}` (seen through the inspector)', async () => {
  // Node 20 has no worker_threads.threadName; the inspector shows each worker's title, which ends
  // with the name given to new Worker().
  const session = new Session();
  session.connect();
  const titles: string[] = [];
  // A thread of Node's own with no name ("[worker 472]", as its ESM loader hooks' thread) may
  // start meanwhile in this process: only named threads are ours.
  session.on('NodeWorker.attachedToWorker', (message) => {
    const title = message.params.workerInfo.title;
    if (!/^\[worker \d+\]$/.test(title)) titles.push(title);
  });
  await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  try {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2, threadNamePrefix: 'cruncher' });
    const gate = new Gate();
    const futures = [executor.submit(block, gate.sab), executor.submit(block, gate.sab)];
    await until(() => titles.length === 2, 'both workers attached');
    gate.release();
    await Promise.all(futures);
    expect(titles.map((title) => title.replace(/^\[worker \d+\] /, '')).sort()).toEqual([
      'cruncher_0',
      'cruncher_1',
    ]);

    // Without a prefix: ThreadPoolExecutor-<pool number>_<n>.
    titles.length = 0;
    await using unnamed = new ThreadPoolExecutor({ maxWorkers: 1 });
    await unnamed.submit(() => 1);
    await until(() => titles.length === 1, 'the worker attached');
    expect(titles[0]).toMatch(/ThreadPoolExecutor-\d+_0$/);
  } finally {
    await session.post('NodeWorker.disable');
    session.disconnect();
  }
});

describe('initializer', () => {
  test('runs once in every worker before its first call, with initargs', async () => {
    const init = (counterSab: SharedArrayBuffer, greeting: string): void => {
      Atomics.add(new Int32Array(counterSab), 0, 1);
      const g = globalThis as { greeting?: string; initRuns?: number };
      g.greeting = greeting;
      g.initRuns = (g.initRuns ?? 0) + 1;
    };
    const counter = new SharedArrayBuffer(4);
    const executor = new ThreadPoolExecutor({
      maxWorkers: 2,
      initializer: init,
      initargs: [counter, 'hello'],
    });
    const gate = new Gate();
    const blockers = [executor.submit(block, gate.sab), executor.submit(block, gate.sab)];
    await gate.started();
    gate.release();
    await Promise.all(blockers);
    const read = async (): Promise<[number, string | undefined, number | undefined]> => {
      const g = globalThis as { greeting?: string; initRuns?: number };
      return [(await import('node:worker_threads')).threadId, g.greeting, g.initRuns];
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => executor.submit(read)));
    for (const [, greeting, runs] of results) {
      expect(greeting).toBe('hello');
      expect(runs).toBe(1);
    }
    expect(new Set(results.map(([id]) => id)).size).toBeLessThanOrEqual(2);
    expect(Atomics.load(new Int32Array(counter), 0)).toBe(executor.workerIds.length);
    expect(executor.workerIds).toHaveLength(2);
    await executor.shutdown();
  });

  test('an async initializer is awaited before the first call', async () => {
    const init = async (ms: number): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      (globalThis as { ready?: boolean }).ready = true;
    };
    await using executor = new ThreadPoolExecutor({
      maxWorkers: 1,
      initializer: init,
      initargs: [30],
    });
    expect(await executor.submit(() => (globalThis as { ready?: boolean }).ready)).toBe(true);
  });

  test('a fromModule() initializer', async () => {
    const tasks = new URL('../fixtures/thread-tasks.mjs', import.meta.url);
    await using executor = new ThreadPoolExecutor({
      maxWorkers: 1,
      initializer: fromModule(tasks, 'setGreeting'),
      initargs: ['Hi'],
    });
    expect(
      await executor.submit(
        fromModule<(typeof import('../fixtures/thread-tasks.mjs'))['greet']>(tasks, 'greet'),
        'Ada',
      ),
    ).toBe('Hi, Ada');
  });

  test('a module a call needs is imported only after the initializer has run', async () => {
    const tasks = new URL('../fixtures/thread-tasks.mjs', import.meta.url);
    const init = async (greeting: string): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      (globalThis as { threadTasksGreeting?: string }).threadTasksGreeting = greeting;
    };
    await using executor = new ThreadPoolExecutor({
      maxWorkers: 1,
      initializer: init,
      initargs: ['set first'],
    });
    const seen = fromModule<
      (typeof import('../fixtures/thread-tasks.mjs'))['greetingSeenAtImport']
    >(tasks, 'greetingSeenAtImport');
    expect(await executor.submit(seen)).toBe('set first');
  });

  test('a throwing initializer breaks the pool: pending futures fail with BrokenThreadPool caused by its error, submit throws it', async () => {
    const init = (): void => {
      throw new RangeError('no database');
    };
    const executor = new ThreadPoolExecutor({ maxWorkers: 2, initializer: init });
    const futures = Array.from({ length: 6 }, (_, i) => executor.submit((x: number) => x, i));
    for (const future of futures) {
      const error = await future.exception();
      expect(error).toBeInstanceOf(BrokenThreadPool);
      expect(error).toBeInstanceOf(BrokenExecutor);
      expect((error as Error).message).toMatch(/initializer/);
      expect((error as Error).cause).toBeInstanceOf(RangeError);
      expect(((error as Error).cause as Error).message).toBe('no database');
    }
    let thrown: unknown;
    try {
      executor.submit(() => 1);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BrokenThreadPool);
    expect(((thrown as Error).cause as Error).message).toBe('no database');
    // Broken and shut down: still the broken error.
    await executor.shutdown();
    expect(() => executor.submit(() => 1)).toThrow(BrokenThreadPool);
    expect(() => executor.map((x: number) => x, [1])).toThrow(BrokenThreadPool);
    expect(executor.workerIds).toEqual([]);
  });

  test('an initializer that reads a free variable breaks the pool with an error naming the variable', async () => {
    const secret = 'outside';
    const init = (): string => secret;
    const executor = new ThreadPoolExecutor({ maxWorkers: 1, initializer: init });
    const error = await executor.submit(() => 1).exception();
    expect(error).toBeInstanceOf(BrokenThreadPool);
    expect(String(((error as Error).cause as Error).message)).toMatch(/"secret"/);
    await executor.shutdown();
  });
});

describe('shutdown', () => {
  test('wait: true resolves once every call is done and every thread has exited', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 3 });
    const gate = new Gate();
    const futures = Array.from({ length: 9 }, () => executor.submit(block, gate.sab));
    await gate.started();
    const ids = executor.workerIds;
    expect(ids).toHaveLength(3);
    await until(() => ids.every((id) => liveThreadIds().includes(id)), 'all three threads run');
    let resolved = false;
    const shut = executor.shutdown().then(() => (resolved = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(resolved).toBe(false);
    expect(() => executor.submit(() => 1)).toThrow(/shut ?down/i);
    gate.release();
    await shut;
    for (const future of futures) expect(future.done()).toBe(true);
    expect(await Promise.all(futures)).toEqual(Array(9).fill('released'));
    expect(executor.workerIds).toEqual([]);
    const live = liveThreadIds();
    for (const id of ids) expect(live).not.toContain(id);
  });

  test('wait: false resolves at once; the pool winds down by itself and the threads exit', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const gate = new Gate();
    const futures = Array.from({ length: 4 }, () => executor.submit(block, gate.sab));
    await gate.started();
    const ids = executor.workerIds;
    await executor.shutdown({ wait: false });
    expect(futures.some((future) => !future.done())).toBe(true);
    gate.release();
    expect(await Promise.all(futures)).toEqual(Array(4).fill('released'));
    await until(
      () => executor.workerIds.length === 0 && ids.every((id) => !liveThreadIds().includes(id)),
      'every thread exited',
    );
    await executor.shutdown(); // idempotent, and now resolves at once
  });

  test('cancelFutures cancels the calls not started; the running ones finish', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = new Gate(20);
    const running = executor.submit(block, gate.sab);
    const queued = Array.from({ length: 20 }, (_, i) => executor.submit(record, gate.sab, i));
    await gate.started();
    const shut = executor.shutdown({ cancelFutures: true });
    for (const future of queued) expect(future.cancelled()).toBe(true);
    expect(running.running()).toBe(true);
    gate.release();
    await shut;
    expect(await running).toBe('released');
    expect(gate.totalRuns()).toBe(0);
    expect(executor.workerIds).toEqual([]);
  });

  test('shutdown with nothing ever submitted resolves at once; submit and map throw afterwards', async () => {
    const executor = new ThreadPoolExecutor();
    await executor.shutdown();
    expect(() => executor.submit(() => 1)).toThrow(Error);
    expect(() => executor.submit(() => 1)).toThrow(/shut ?down/i);
    expect(() => executor.map((x: number) => x, [1, 2])).toThrow(/shut ?down/i);
    expect(executor.workerIds).toEqual([]);
  });

  test('await using waits for the calls and the threads', async () => {
    let ids: number[] = [];
    let future: Future<unknown>;
    const gate = new Gate();
    const scope = async (): Promise<void> => {
      await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
      future = executor.submit(block, gate.sab);
      await gate.started();
      ids = executor.workerIds;
      setTimeout(() => gate.release(), 20);
    };
    await scope();
    expect(future!.done()).toBe(true);
    const live = liveThreadIds();
    for (const id of ids) expect(live).not.toContain(id);
  });

  test('using shuts down without waiting; the calls still finish and the threads exit', async () => {
    const gate = new Gate();
    let executor!: ThreadPoolExecutor;
    let future!: Future<unknown>;
    {
      using scoped = new ThreadPoolExecutor({ maxWorkers: 2 });
      executor = scoped;
      future = scoped.submit(block, gate.sab);
    }
    expect(() => executor.submit(() => 1)).toThrow(/shut ?down/i);
    await gate.started();
    const ids = executor.workerIds;
    expect(ids).toHaveLength(1);
    gate.release();
    expect(await future).toBe('released');
    await until(
      () => executor.workerIds.length === 0 && !liveThreadIds().includes(ids[0]!),
      'the thread exited',
    );
  });
});
