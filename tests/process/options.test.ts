// The options of ProcessPoolExecutor on real children: maxWorkers (default and checks),
// maxTasksPerChild (checks, and a child replaced with no call lost or run twice), initializer and
// initargs (once per child, before its first call; a failing one breaks the pool), execArgv, env.

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  BrokenExecutor,
  BrokenProcessPool,
  ProcessPoolExecutor,
  fromModule,
} from 'concurrent-futures';
import {
  FIXTURES,
  cleanUpAfterEach,
  pool,
  readLines,
  scratchDir,
  stillAliveAfter,
  withTimeout,
} from './support.js';

cleanUpAfterEach();

/** A call that waits until file `gate` exists, then returns its child's pid. */
async function pidWhenOpen(gate: string): Promise<number> {
  const { existsSync } = await import('node:fs');
  while (!existsSync(gate)) await new Promise((resolve) => setTimeout(resolve, 10));
  return process.pid;
}

describe('maxWorkers', () => {
  test.each([undefined, null])(
    'defaults to os.availableParallelism() (%p): never more children, and all of them used',
    async (maxWorkers) => {
      const { writeFileSync } = await import('node:fs');
      const expected = availableParallelism();
      const ex = pool({ maxWorkers });
      const gate = join(scratchDir(), 'open');
      // Every call blocks until the gate opens, so each child can hold one running call at a time.
      const futures = Array.from({ length: expected + 2 }, () => ex.submit(pidWhenOpen, gate));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(ex.workerIds).toHaveLength(expected);
      writeFileSync(gate, '');
      const pids = await Promise.all(futures);
      expect(new Set(pids).size).toBe(expected);
      await ex.shutdown();
    },
  );

  test.each([0, -1, 1.5, NaN, Infinity])(
    'maxWorkers %p is a RangeError naming the option and the value',
    (maxWorkers) => {
      expect(() => new ProcessPoolExecutor({ maxWorkers })).toThrow(RangeError);
      expect(() => new ProcessPoolExecutor({ maxWorkers })).toThrow(
        /maxWorkers.*integer >= 1.*got/,
      );
    },
  );

  test.each(['2', 2n, true, {}])('maxWorkers %p is a TypeError naming the option', (maxWorkers) => {
    expect(() => new ProcessPoolExecutor({ maxWorkers: maxWorkers as never })).toThrow(TypeError);
    expect(() => new ProcessPoolExecutor({ maxWorkers: maxWorkers as never })).toThrow(
      /maxWorkers/,
    );
  });

  test('options that are not an object, and execArgv / env of the wrong type, are TypeErrors', () => {
    expect(() => new ProcessPoolExecutor(5 as never)).toThrow(TypeError);
    expect(() => new ProcessPoolExecutor({ execArgv: '--inspect' as never })).toThrow(/execArgv/);
    expect(() => new ProcessPoolExecutor({ execArgv: [1] as never })).toThrow(/execArgv/);
    // The element at fault is named, not "got an array".
    expect(() => new ProcessPoolExecutor({ execArgv: ['--no-warnings', 1] as never })).toThrow(
      'but execArgv[1] is 1',
    );
    expect(() => new ProcessPoolExecutor({ env: 'A=1' as never })).toThrow(/env/);
    expect(() => new ProcessPoolExecutor({ initializer: 'setup' as never })).toThrow(/initializer/);
    expect(() => new ProcessPoolExecutor({ initargs: 'x' as never })).toThrow(/initargs/);
  });

  test('a failed constructor starts no child', () => {
    expect(() => new ProcessPoolExecutor({ maxWorkers: 2, maxTasksPerChild: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('maxTasksPerChild', () => {
  test.each([0, -3, 2.5, NaN, Infinity])(
    'maxTasksPerChild %p is a RangeError naming the option',
    (maxTasksPerChild) => {
      expect(() => new ProcessPoolExecutor({ maxTasksPerChild })).toThrow(RangeError);
      expect(() => new ProcessPoolExecutor({ maxTasksPerChild })).toThrow(/maxTasksPerChild.*got/);
    },
  );

  test.each(['1', 1n, false])(
    'maxTasksPerChild %p is a TypeError naming the option',
    (maxTasksPerChild) => {
      expect(
        () => new ProcessPoolExecutor({ maxTasksPerChild: maxTasksPerChild as never }),
      ).toThrow(TypeError);
      expect(
        () => new ProcessPoolExecutor({ maxTasksPerChild: maxTasksPerChild as never }),
      ).toThrow(/maxTasksPerChild/);
    },
  );

  test('null and undefined mean no limit: one child runs every call', async () => {
    const ex = pool({ maxWorkers: 1, maxTasksPerChild: null });
    const pids = await Promise.all(Array.from({ length: 6 }, () => ex.submit(() => process.pid)));
    expect(new Set(pids).size).toBe(1);
    await ex.shutdown();
  });

  test('with 2, each child runs at most two calls; all 10 arrive in order; none lost, none run twice', async () => {
    const ex = pool({ maxWorkers: 2, maxTasksPerChild: 2 });
    const log = join(scratchDir(), 'ran.log');
    const record = async (index: number, file: string) => {
      const { appendFileSync } = await import('node:fs');
      appendFileSync(file, `${index} ${process.pid}\n`);
      return { index, pid: process.pid };
    };
    const results = await withTimeout(
      Promise.all(Array.from({ length: 10 }, (_, i) => ex.submit(record, i, log))),
      60_000,
      'the 10 calls',
    );
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const perPid = new Map<number, number>();
    for (const { pid } of results) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
    for (const count of perPid.values()) expect(count).toBeLessThanOrEqual(2);
    expect(perPid.size).toBeGreaterThanOrEqual(5);
    // Exactly once each, as the children themselves recorded it.
    const ran = readLines(log).map((line) => Number(line.split(' ')[0]));
    expect(ran.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The replaced children exit: at most maxWorkers are alive at any time.
    expect(ex.workerIds.length).toBeLessThanOrEqual(2);
    await ex.shutdown();
    expect(await stillAliveAfter([...perPid.keys()], 3000)).toEqual([]);
  });

  test('a child that reached its limit is replaced even when calls arrive one by one', async () => {
    const ex = pool({ maxWorkers: 1, maxTasksPerChild: 1 });
    const first = await ex.submit(() => process.pid);
    const second = await ex.submit(() => process.pid);
    const third = await ex.submit(() => process.pid);
    expect(new Set([first, second, third]).size).toBe(3);
    await ex.shutdown();
  });
});

describe('initializer and initargs', () => {
  test('run once in every child, before its first call (also in children that replace others)', async () => {
    const log = join(scratchDir(), 'init.log');
    const ex = pool({
      maxWorkers: 2,
      maxTasksPerChild: 2,
      initializer: async function setUp(file: string, tag: string) {
        const { appendFileSync } = await import('node:fs');
        await new Promise((resolve) => setTimeout(resolve, 20)); // an async initializer is awaited
        const state = globalThis as unknown as { inits?: number; tag?: string };
        state.inits = (state.inits ?? 0) + 1;
        state.tag = tag;
        appendFileSync(file, `${process.pid}\n`);
      },
      initargs: [log, 'configured'],
    });
    const seen = await Promise.all(
      Array.from({ length: 6 }, () =>
        ex.submit(() => {
          const state = globalThis as unknown as { inits?: number; tag?: string };
          return { pid: process.pid, inits: state.inits, tag: state.tag };
        }),
      ),
    );
    for (const call of seen) expect(call).toEqual({ pid: call.pid, inits: 1, tag: 'configured' });
    await ex.shutdown();
    const pids = [...new Set(seen.map((call) => call.pid))].sort();
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(readLines(log).map(Number).sort()).toEqual(pids);
  });

  test('an initializer may be a fromModule() reference', async () => {
    const ex = pool({
      maxWorkers: 1,
      initializer: fromModule(
        new URL('../fixtures/process-tasks.mjs', import.meta.url),
        'setGreeting',
      ),
      initargs: ['hello'],
    });
    expect(await ex.submit(fromModule(join(FIXTURES, 'process-tasks.mjs'), 'greet'), 'pool')).toBe(
      'hello, pool',
    );
    await ex.shutdown();
  });

  test('a failing initializer breaks the pool: BrokenProcessPool with its error as cause; submit throws it', async () => {
    const ex = pool({
      maxWorkers: 2,
      initializer: (why: string) => {
        throw new RangeError(why);
      },
      initargs: ['no database'],
    });
    const futures = [1, 2, 3].map((n) => ex.submit((x: number) => x, n));
    for (const future of futures) {
      const error = await withTimeout(future.exception(), 20_000, 'the failed future');
      expect(error).toBeInstanceOf(BrokenProcessPool);
      expect(error).toBeInstanceOf(BrokenExecutor);
      expect((error as Error).name).toBe('BrokenProcessPool');
      expect((error as Error).message).toMatch(/initializer/);
      expect((error as Error).cause).toBeInstanceOf(RangeError);
      expect(((error as Error).cause as Error).message).toBe('no database');
    }
    expect(() => ex.submit(() => 1)).toThrow(BrokenProcessPool);
    expect(() => ex.submit(() => 1)).toThrow(/initializer/);
    const pids = ex.workerIds;
    await withTimeout(ex.shutdown(), 10_000, 'shutdown() of the broken pool');
    expect(await stillAliveAfter(pids, 3000)).toEqual([]);
    // Still BrokenProcessPool once shut down as well.
    expect(() => ex.submit(() => 1)).toThrow(BrokenProcessPool);
  });

  test('an initializer that reads a variable from its scope fails the pool with an error saying how to fix it', async () => {
    const outside = 'not in the child';
    const ex = pool({ maxWorkers: 1, initializer: () => void outside.length });
    const error = (await ex.submit(() => 1).exception()) as Error;
    expect(error).toBeInstanceOf(BrokenProcessPool);
    expect(String((error.cause as Error).message)).toMatch(/outside.*not defined in the worker/);
    await ex.shutdown();
  });
});

describe('execArgv and env', () => {
  test('env is the children’s whole environment; by default they get the parent’s', async () => {
    const ex = pool({
      maxWorkers: 1,
      env: { ...process.env, CF_PROCESS_TEST: 'given to the child' },
    });
    expect(await ex.submit((name: string) => process.env[name], 'CF_PROCESS_TEST')).toBe(
      'given to the child',
    );
    await ex.shutdown();
    process.env.CF_PROCESS_TEST_PARENT = 'inherited';
    try {
      const byDefault = pool({ maxWorkers: 1 });
      expect(await byDefault.submit(() => process.env.CF_PROCESS_TEST_PARENT)).toBe('inherited');
      expect(await byDefault.submit(() => process.env.CF_PROCESS_TEST)).toBeUndefined();
      await byDefault.shutdown();
    } finally {
      delete process.env.CF_PROCESS_TEST_PARENT;
    }
  });

  test('execArgv is given to every child; by default the parent’s', async () => {
    const ex = pool({ maxWorkers: 2, execArgv: ['--max-old-space-size=64', '--stack-size=900'] });
    const argv = await Promise.all([1, 2].map(() => ex.submit(() => process.execArgv)));
    for (const args of argv) expect(args).toEqual(['--max-old-space-size=64', '--stack-size=900']);
    await ex.shutdown();
    const byDefault = pool({ maxWorkers: 1 });
    expect(await byDefault.submit(() => process.execArgv)).toEqual(process.execArgv);
    await byDefault.shutdown();
  });
});
