// What is true of the EventLoopExecutor only (the rest is in tests/contract): calls run in this
// thread, so closures work and nothing is cloned; a sync call holds the loop; and an executor
// never keeps the process alive.

import { availableParallelism } from 'node:os';
import { BrokenExecutor, CancelledError, EventLoopExecutor, fromModule } from 'concurrent-futures';
import { deferred, runScript, settle, unhandledRejectionsOf } from './support.js';

let executor: EventLoopExecutor;
afterEach(async () => {
  await executor?.shutdown({ cancelFutures: true });
});

describe('nothing travels', () => {
  test('closures, bound functions, class methods and arrow fields run with their own `this`', async () => {
    executor = new EventLoopExecutor();
    let captured = 0;
    class Counter {
      count = 10;
      add(step: number): number {
        this.count += step;
        return this.count;
      }
      readonly addArrow = (step: number): number => this.add(step);
    }
    const counter = new Counter();
    const results = await Promise.all([
      executor.submit(() => ++captured),
      executor.submit(counter.add.bind(counter), 1),
      executor.submit(counter.addArrow, 2),
      executor.submit(async (c: Counter) => c.add(3), counter),
      executor.submit(Math.max, 3, 9, 4),
    ]);
    expect(results).toEqual([1, 11, 13, 16, 9]);
    expect([captured, counter.count]).toEqual([1, 16]);
  });

  test('arguments and results are passed by reference, never cloned', async () => {
    executor = new EventLoopExecutor();
    const input = { items: [1, 2], callback: () => 'not cloneable', weak: new WeakMap() };
    const output = await executor.submit(async (value: typeof input) => {
      value.items.push(3);
      return value;
    }, input);
    expect(output).toBe(input);
    expect(input.items).toEqual([1, 2, 3]);
    const made = await executor.submit(() => new Map([[1, 'one']]));
    expect(made).toBeInstanceOf(Map); // this realm's Map: nothing was rebuilt on the way
  });

  test('the error a call throws and the initializer error are the very objects thrown', async () => {
    executor = new EventLoopExecutor();
    const thrown = new Error('mine');
    const future = executor.submit(() => {
      throw thrown;
    });
    expect(await future.exception()).toBe(thrown);

    const cause = new Error('init failed');
    const broken = new EventLoopExecutor({
      initializer: () => {
        throw cause;
      },
    });
    const error = await broken.submit(() => 1).exception();
    expect(error).toBeInstanceOf(BrokenExecutor);
    expect((error as Error).cause).toBe(cause);
    expect(() => broken.submit(() => 1)).toThrow(BrokenExecutor);
    await broken.shutdown();
  });

  test("a broken executor's message names a named initializer, and an arrow's only once", async () => {
    const arrow = new EventLoopExecutor({
      initializer: () => {
        throw new Error('db down');
      },
    });
    const fromArrow = (await arrow.submit(() => 1).exception()) as Error;
    expect(fromArrow.message).toContain('its initializer failed (Error: db down)');
    await arrow.shutdown();
    function connectToDatabase(): never {
      throw new Error('db down');
    }
    const named = new EventLoopExecutor({ initializer: connectToDatabase });
    const fromNamed = (await named.submit(() => 1).exception()) as Error;
    expect(fromNamed.message).toContain('its initializer connectToDatabase failed');
    await named.shutdown();
  });

  test("a module that cannot be imported names why, though jest's errors are of another realm", async () => {
    const missing = new EventLoopExecutor();
    const call = missing.submit(fromModule(new URL('file:///nonexistent/nope.mjs'), 'f'));
    const error = (await call.exception()) as Error;
    expect(error.message).toMatch(/the module could not be imported \(Cannot find module/);
    // A path written without ./ reads as a package: the error says which file it names, and how.
    const barePath = (await missing
      .submit(fromModule('tests/fixtures/process-tasks.mjs', 'f'))
      .exception()) as Error;
    expect(barePath.message).toMatch(/reads as a package name/);
    expect(barePath.message).toContain(
      'new URL("./tests/fixtures/process-tasks.mjs", import.meta.url)',
    );
    await missing.shutdown();
  });

  test('an initializer error that cannot be read still breaks the executor, with BrokenExecutor', async () => {
    class Unreadable extends Error {
      override get message(): string {
        throw new Error('this message getter throws');
      }
    }
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    for (const thrown of [new Unreadable(), revocable.proxy]) {
      const broken = new EventLoopExecutor({
        initializer: () => {
          throw thrown;
        },
      });
      const error = await broken.submit(() => 1).exception(2_000);
      expect(error).toBeInstanceOf(BrokenExecutor);
      expect((error as Error).cause).toBe(thrown);
      expect(() => broken.submit(() => 2)).toThrow(BrokenExecutor);
      await broken.shutdown();
    }
  });
});

describe('scheduling on the event loop', () => {
  test('no call starts inside submit(); calls start in submission order', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 1 });
    const started: number[] = [];
    const futures = [0, 1, 2].map((i) => executor.submit(() => started.push(i)));
    expect(started).toEqual([]);
    expect(futures.map((f) => f.running())).toEqual([false, false, false]);
    await Promise.all(futures);
    expect(started).toEqual([0, 1, 2]);
  });

  test('maxWorkers calls do run at once, and no more', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 3 });
    let running = 0;
    let mostAtOnce = 0;
    const gates = [0, 1, 2, 3, 4].map(() => deferred());
    const futures = gates.map((gate, i) =>
      executor.submit(async () => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await settle();
    expect(running).toBe(3);
    expect(futures.map((f) => f.running())).toEqual([true, true, true, false, false]);
    gates[1]!.resolve();
    await settle();
    expect(futures.map((f) => f.running())).toEqual([true, false, true, true, false]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(futures)).toEqual([0, 1, 2, 3, 4]);
    expect(mostAtOnce).toBe(3);
  });

  test('the default maxWorkers is Math.min(32, os.availableParallelism() + 4)', async () => {
    executor = new EventLoopExecutor({ maxWorkers: null });
    const expected = Math.min(32, availableParallelism() + 4);
    const gate = deferred();
    const futures = Array.from({ length: expected + 2 }, () => executor.submit(() => gate.promise));
    await settle();
    expect(futures.filter((f) => f.running())).toHaveLength(expected);
    gate.resolve();
    await Promise.all(futures);
  });

  test('a sync call holds the loop while it runs: timers wait for it', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 2 });
    const events: string[] = [];
    const spin = (label: string): void => {
      events.push(`${label} start`);
      const until = Date.now() + 20;
      while (Date.now() < until); // busy: the loop cannot run the timer below meanwhile
      events.push(`${label} end`);
    };
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        events.push('timer');
        resolve();
      }, 1),
    );
    await Promise.all([executor.submit(spin, 'a'), executor.submit(spin, 'b'), timer]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end', 'timer']);
  });

  test('a future ended from outside before its call starts is skipped; the executor goes on', async () => {
    executor = new EventLoopExecutor({ maxWorkers: 1 });
    let ranOutsider = false;
    const outsider = executor.submit(() => {
      ranOutsider = true;
    });
    outsider.setException(new Error('ended by someone else'));
    expect(await executor.submit(() => 'next')).toBe('next');
    expect(ranOutsider).toBe(false);
    await executor.shutdown();
  });
});

describe('initializer', () => {
  test('runs once in all, before the first call, however many calls start at once', async () => {
    const log: string[] = [];
    const gate = deferred();
    const context = { name: 'shared' };
    executor = new EventLoopExecutor({
      maxWorkers: 4,
      initializer: async (ctx: typeof context) => {
        log.push(`init ${ctx === context}`);
        await gate.promise;
        log.push('init done');
      },
      initargs: [context],
    });
    const futures = [0, 1, 2, 3, 4, 5].map((i) => executor.submit(() => log.push(`call ${i}`)));
    await settle();
    expect(log).toEqual(['init true']);
    expect(futures.some((f) => f.running())).toBe(false);
    gate.resolve();
    await Promise.all(futures);
    expect(log).toEqual([
      'init true',
      'init done',
      'call 0',
      'call 1',
      'call 2',
      'call 3',
      'call 4',
      'call 5',
    ]);
  });

  test('a call cancelled while the initializer runs never starts; shutdown waits for the initializer', async () => {
    const gate = deferred();
    const ran: number[] = [];
    executor = new EventLoopExecutor({ initializer: () => gate.promise });
    const futures = [0, 1].map((i) => executor.submit(() => ran.push(i)));
    await settle();
    expect(futures[0]!.cancel()).toBe(true);
    let shutDown = false;
    const shutdown = executor.shutdown().then(() => {
      shutDown = true;
    });
    await settle();
    expect(shutDown).toBe(false);
    gate.resolve();
    await shutdown;
    expect(ran).toEqual([1]);
    expect(await futures[0]!.exception().catch((error: unknown) => error)).toBeInstanceOf(
      CancelledError,
    );
  });

  test('a fromModule() initializer is imported and run', async () => {
    const module = new URL('../contract/fixtures/tasks.js', import.meta.url);
    const { fromModule } = await import('concurrent-futures');
    executor = new EventLoopExecutor({ initializer: fromModule(module, 'double'), initargs: [1] });
    expect(await executor.submit(() => 'after init')).toBe('after init');
  });
});

describe('options', () => {
  test('are checked up front, each error naming the option', () => {
    expect(() => new EventLoopExecutor({ endGraceMs: -1 })).toThrow(RangeError);
    expect(() => new EventLoopExecutor({ endGraceMs: Number.NaN })).toThrow(/endGraceMs/);
    expect(() => new EventLoopExecutor({ endGraceMs: '1' as never })).toThrow(TypeError);
    expect(() => new EventLoopExecutor({ initializer: 'setup' as never })).toThrow(/initializer/);
    expect(() => new EventLoopExecutor({ initargs: 'x' as never })).toThrow(TypeError);
    expect(() => new EventLoopExecutor({ initargs: 'x' as never })).toThrow(/initargs/);
    expect(() => new EventLoopExecutor(5 as never)).toThrow(TypeError);
    expect(
      new EventLoopExecutor({
        endGraceMs: Number.POSITIVE_INFINITY,
        initializer: null,
        initargs: null,
      }),
    ).toBeInstanceOf(EventLoopExecutor);
  });

  test('initargs are copied at construction; their elements are passed by reference', async () => {
    const element = { seen: false };
    const initargs: unknown[] = [element];
    executor = new EventLoopExecutor({
      initializer: (...args: unknown[]) => {
        expect(args).toEqual([element]);
        (args[0] as typeof element).seen = true;
      },
      initargs,
    });
    initargs.push('added later');
    await executor.submit(() => undefined);
    expect(element.seen).toBe(true);
  });
});

describe('the process', () => {
  test('a script that forgets shutdown() finishes its calls, then exits by itself, printing nothing else', async () => {
    const { code, signal, stdout, stderr } = await runScript('forgot-shutdown.mjs');
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(stdout).toBe('a\nb\nc\n');
  });

  test('an idle executor does not keep the process alive', async () => {
    const { code, signal, stdout, stderr } = await runScript('idle.mjs');
    expect({ code, signal, stderr, stdout }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
      stdout: '2,4,6\n',
    });
  });
});

test('a result whose `then` getter throws fails its call, plain or limited; shutdown() still resolves', async () => {
  executor = new EventLoopExecutor({ maxWorkers: 1 });
  const badThenable = (): object => ({
    get then(): never {
      throw new Error('then getter');
    },
  });
  const futures: Array<ReturnType<EventLoopExecutor['submit']>> = [];
  const unhandled = await unhandledRejectionsOf(async () => {
    futures.push(executor.submit(badThenable));
    futures.push(executor.schedule(badThenable, { timeout: 60_000 }));
    for (const future of futures) await expect(future).rejects.toThrow('then getter');
  }, 20);
  expect(unhandled).toEqual([]);
  const shutdown = await Promise.race([
    executor.shutdown().then(() => 'resolved'),
    new Promise((resolve) => setTimeout(() => resolve('hung'), 2_000)),
  ]);
  expect(shutdown).toBe('resolved');
});
