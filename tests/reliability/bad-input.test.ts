// Bad input at every public entry point: the wrong type, a negative or NaN timeout, a
// non-iterable, a non-function, a value that cannot travel. Each gives a TypeError or RangeError
// (thrown, or a rejected promise where the entry point returns one) or a failed future, with a
// message that names what was wrong; never a hang, a crash of the pool, or a silently wrong result.
// After each bad call, the pool still runs calls.

import {
  Future,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  asCompleted,
  fromModule,
  wait,
} from 'concurrent-futures';
import { KINDS, cleanUpAfterEach, makePool, withTimeout, type AnyPool } from './support.js';

cleanUpAfterEach();

type Thrower = () => unknown;

/** Expects `fn` to throw synchronously an error of `type` whose message matches every pattern. */
function expectThrow(
  fn: Thrower,
  type: typeof TypeError | typeof RangeError,
  ...patterns: RegExp[]
): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  for (const pattern of patterns) expect((thrown as Error).message).toMatch(pattern);
}

/** Expects `promise` to reject (not hang) with an error of `type` whose message matches every pattern. */
async function expectReject(
  promise: Promise<unknown>,
  type: typeof TypeError | typeof RangeError,
  ...patterns: RegExp[]
): Promise<void> {
  const error = await withTimeout(
    promise.then(
      () => undefined,
      (reason: unknown) => reason,
    ),
    10_000,
    'the bad call',
  );
  expect(error).toBeInstanceOf(type);
  for (const pattern of patterns) expect((error as Error).message).toMatch(pattern);
}

const anyPool = (kind: string, options: unknown): AnyPool =>
  kind === 'thread'
    ? new ThreadPoolExecutor(options as never)
    : new ProcessPoolExecutor(options as never);

describe.each(KINDS)('%s pool', (kind) => {
  test('constructor options of the wrong type or out of range: TypeError / RangeError naming the option', () => {
    const cases: Array<[unknown, typeof TypeError | typeof RangeError, RegExp]> = [
      ['four workers', TypeError, /options/],
      [42, TypeError, /options/],
      [[2], TypeError, /options/],
      [{ maxWorkers: '2' }, TypeError, /maxWorkers.*"2"/],
      [{ maxWorkers: 0 }, RangeError, /maxWorkers.*>= 1.*0/],
      [{ maxWorkers: -1 }, RangeError, /maxWorkers.*-1/],
      [{ maxWorkers: 1.5 }, RangeError, /maxWorkers.*1\.5/],
      [{ maxWorkers: NaN }, RangeError, /maxWorkers.*NaN/],
      [{ maxWorkers: Infinity }, RangeError, /maxWorkers.*Infinity/],
      [{ maxWorkers: 2n }, TypeError, /maxWorkers.*2n/],
      [{ initializer: 'setup' }, TypeError, /initializer/],
      [{ initializer: Symbol('setup') }, TypeError, /initializer/],
      [{ initargs: 'abc' }, TypeError, /initargs.*array/],
      [{ endGraceMs: -5 }, RangeError, /endGraceMs.*-5/],
      [{ endGraceMs: NaN }, RangeError, /endGraceMs.*NaN/],
      [{ endGraceMs: '1000' }, TypeError, /endGraceMs/],
    ];
    if (kind === 'thread') {
      cases.push(
        [{ threadNamePrefix: 7 }, TypeError, /threadNamePrefix/],
        [{ resourceLimits: 64 }, TypeError, /resourceLimits/],
      );
    } else {
      cases.push(
        [{ maxTasksPerChild: 0 }, RangeError, /maxTasksPerChild.*0/],
        [{ maxTasksPerChild: '10' }, TypeError, /maxTasksPerChild/],
        [{ execArgv: '--inspect' }, TypeError, /execArgv/],
        [{ execArgv: [1, 2] }, TypeError, /execArgv/],
        [{ env: 'PATH=/bin' }, TypeError, /env/],
      );
    }
    for (const [options, type, pattern] of cases) {
      expectThrow(() => anyPool(kind, options), type, pattern);
    }
  });

  test('submit, schedule, map and shutdown refuse bad arguments at the call; nothing is scheduled; the pool goes on', async () => {
    const executor = makePool(kind, { maxWorkers: 1 });
    const submit = executor.submit.bind(executor) as (...args: unknown[]) => unknown;
    const schedule = executor.schedule.bind(executor) as (...args: unknown[]) => unknown;
    const map = executor.map.bind(executor) as (...args: unknown[]) => unknown;
    const fn = (x: number): number => x;

    // Not a function.
    for (const notFn of [undefined, null, 42, 'x => x', {}, [fn], Symbol('fn'), 1n]) {
      expectThrow(() => submit(notFn, 1), TypeError, /function or a fromModule\(\) reference/);
      expectThrow(() => schedule(notFn), TypeError, /function or a fromModule\(\) reference/);
      expectThrow(() => map(notFn, [1]), TypeError, /function or a fromModule\(\) reference/);
    }
    // Functions with no source text to travel by.
    expectThrow(() => submit(Math.max, 1, 2), TypeError, /native function "max"/);
    expectThrow(() => submit(fn.bind(null), 1), TypeError, /bound function/);

    // schedule's options.
    expectThrow(() => schedule(fn, 'fast'), TypeError, /options/);
    expectThrow(() => schedule(fn, { timeout: -1 }), RangeError, /timeout.*-1/);
    expectThrow(() => schedule(fn, { timeout: NaN }), RangeError, /timeout.*NaN/);
    expectThrow(() => schedule(fn, { timeout: '100' }), TypeError, /timeout.*"100"/);
    expectThrow(() => schedule(fn, { signal: {} }), TypeError, /signal.*AbortSignal/);
    expectThrow(() => schedule(fn, { signal: new AbortController() }), TypeError, /signal/);
    expectThrow(() => schedule(fn, { args: 5 }), TypeError, /args.*array/);

    // map's iterables and options.
    for (const notIterable of [5, true, Symbol('s'), new Date(0)]) {
      expectThrow(() => map(fn, notIterable), TypeError, /argument 2 of map\(\).*iterable/);
    }
    expectThrow(() => map(fn, [1], null), TypeError, /argument 3 of map\(\).*iterable.*null/);
    expectThrow(() => map(fn, [1], { timeout: -1 }), RangeError, /timeout.*-1/);
    expectThrow(() => map(fn, [1], { timeout: NaN }), RangeError, /timeout.*NaN/);
    expectThrow(() => map(fn, [1], { timeout: '1s' }), TypeError, /timeout/);
    expectThrow(() => map(fn, [1], { chunksize: 0 }), RangeError, /chunksize.*0/);
    expectThrow(() => map(fn, [1], { chunksize: 2.5 }), RangeError, /chunksize.*2\.5/);
    expectThrow(() => map(fn, [1], { chunksize: '2' }), TypeError, /chunksize/);
    expectThrow(() => map(fn, [1], { buffersize: -3 }), RangeError, /buffersize.*-3/);
    expectThrow(() => map(fn, [1], { buffersize: NaN }), RangeError, /buffersize.*NaN/);
    expectThrow(() => map(fn, [1], { callTimeout: -1 }), RangeError, /callTimeout.*-1/);
    expectThrow(() => map(fn, [1], { signal: 'stop' }), TypeError, /signal/);

    // shutdown's options: a rejected promise, and the pool is NOT shut down by a bad call.
    await expectReject(executor.shutdown('now' as never), TypeError, /options/);
    await expectReject(executor.shutdown({ wait: 'yes' } as never), TypeError, /wait.*"yes"/);
    await expectReject(
      executor.shutdown({ cancelFutures: 1 } as never),
      TypeError,
      /cancelFutures.*1/,
    );

    // None of it scheduled anything, started a worker, or harmed the pool.
    expect(executor.workerIds).toEqual([]);
    expect(await executor.submit((x: number) => x * 2, 21)).toBe(42);
    await withTimeout(executor.shutdown(), 15_000, 'shutdown()');
  });

  test('values that cannot travel fail that future (naming what could not be sent); circular objects do travel', async () => {
    const executor = makePool(kind, { maxWorkers: 1 });
    const echo = (value: unknown): unknown => value;

    // Arguments: a function, a symbol, either one nested, and (processes) a SharedArrayBuffer.
    const unclonable: unknown[] = [() => 1, Symbol('s'), { nested: [Symbol('deep')] }, { f() {} }];
    if (kind === 'process') unclonable.push(new SharedArrayBuffer(8));
    const good = executor.submit(echo, 'before');
    const failed = unclonable.map((value) => executor.submit(echo, value));
    const after = executor.submit(echo, 'after');
    for (const future of failed) {
      const error = (await withTimeout(future.exception(), 15_000, 'a bad argument')) as Error;
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/arguments of "echo" could not be sent to a worker/);
      expect(error.message).toMatch(/could not be cloned/);
    }
    expect(await good).toBe('before');
    expect(await after).toBe('after');

    // Results that cannot travel back.
    const makers: Array<() => unknown> = [
      () => () => 1,
      () => Symbol('r'),
      () => ({ ok: 1, bad: Symbol('x') }),
    ];
    for (const make of makers) {
      const error = (await executor.submit(make).exception()) as Error;
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/result could not be sent back/);
    }

    // A circular object round-trips, cycles intact, as the structured clone algorithm promises.
    const node: { name: string; self?: unknown; list: unknown[] } = { name: 'root', list: [] };
    node.self = node;
    node.list.push(node, { parent: node });
    const back = (await executor.submit((value: typeof node) => {
      const seen = value.self === value && value.list[0] === value;
      return { value, seen };
    }, node)) as { value: typeof node; seen: boolean };
    expect(back.seen).toBe(true);
    expect(back.value).not.toBe(node);
    expect(back.value.self).toBe(back.value);
    expect(back.value.list[0]).toBe(back.value);
    expect((back.value.list[1] as { parent: unknown }).parent).toBe(back.value);

    // A class instance with private fields clones as a plain object of its own fields: its class,
    // methods and private fields stay behind (what the structured clone algorithm does). A call that
    // relies on them fails with an error that says so, never with a silently wrong result.
    class Account {
      #balance = 100;
      owner = 'ada';
      balance(): number {
        return this.#balance;
      }
    }
    const arrived = await executor.submit(
      (value: Account) => ({
        keys: Object.keys(value),
        plain: Object.getPrototypeOf(value) === Object.prototype,
        hasMethod: typeof (value as { balance?: unknown }).balance === 'function',
      }),
      new Account(),
    );
    expect(arrived).toEqual({ keys: ['owner'], plain: true, hasMethod: false });
    const misuse = (await executor
      .submit((value: Account) => value.balance(), new Account())
      .exception()) as Error;
    expect(misuse).toBeInstanceOf(TypeError);
    expect(misuse.message).toMatch(/balance is not a function/);

    // A function that reads its enclosing scope fails with a message that names the variable.
    const outside = 7;
    const error = (await executor
      .submit(function readsOutside() {
        return outside;
      })
      .exception()) as Error;
    expect(error).toBeInstanceOf(ReferenceError);
    expect(error.message).toMatch(/readsOutside.*"outside"/);

    // fromModule(): bad references at once; a missing module or export fails the future naming both.
    expectThrow(() => fromModule('./tasks.js'), TypeError, /relative path/, /import\.meta\.url/);
    expectThrow(() => fromModule(42 as never), TypeError, /module/);
    expectThrow(() => fromModule('/abs/tasks.js', ''), TypeError, /exportName/);
    expectThrow(() => fromModule(new URL('https://example.com/x.js')), TypeError, /file: URL/);
    const missingModule = (await executor
      .submit(fromModule('/nonexistent/dir/tasks.js', 'work'))
      .exception()) as Error;
    expect(missingModule.message).toMatch(/nonexistent\/dir\/tasks\.js/);
    expect(missingModule.message).toMatch(/"work"/);
    const missingExport = (await executor
      .submit(fromModule('node:path', 'noSuchExport'))
      .exception()) as Error;
    expect(missingExport.message).toMatch(/node:path/);
    expect(missingExport.message).toMatch(/noSuchExport/);
    // A path written without ./ reads as a package (found by no lookup): the error names the file
    // it is from the working directory, and how to name it, instead of blaming this library.
    const barePath = (await executor
      .submit(fromModule('tests/fixtures/process-tasks.mjs', 'work'))
      .exception()) as Error;
    expect(barePath.message).toMatch(/reads as a package name/);
    expect(barePath.message).toContain(
      'new URL("./tests/fixtures/process-tasks.mjs", import.meta.url)',
    );

    // Through all of that the pool never broke and kept its one worker.
    const ids = executor.workerIds;
    expect(ids).toHaveLength(1);
    expect(await executor.submit((x: number) => x + 1, 1)).toBe(2);
    expect(executor.workerIds).toEqual(ids);
    await withTimeout(executor.shutdown(), 15_000, 'shutdown()');
  }, 60_000);

  test('a module that submits at its top level (no main-module guard), imported by a worker: refused, not a pool in every worker', async () => {
    const executor = makePool(kind, { maxWorkers: 1 });
    const unguarded = new URL('../fixtures/unguarded-main.mjs', import.meta.url);
    const error = (await withTimeout(
      executor.submit(fromModule<(x: number) => number>(unguarded, 'double'), 2).exception(),
      30_000,
      'the import of a module that submits at its top level',
    )) as Error;
    expect(error.message).toMatch(/unguarded-main\.mjs/);
    expect(error.message).toMatch(/submits itself at its top level/);
    expect(error.message).toMatch(/require\.main === module/);
    // A module that uses a pool of its own at its top level (not itself) is no such mistake.
    const precomputes = new URL('../fixtures/precomputes-with-pool.mjs', import.meta.url);
    expect(await executor.submit(fromModule<(i: number) => number>(precomputes, 'lookup'), 3)).toBe(
      9,
    );
    // The worker is not lost, and a submit from a call (not an import) is no such thing.
    expect(await executor.submit((x: number) => x + 1, 1)).toBe(2);
    await withTimeout(executor.shutdown(), 15_000, 'shutdown()');
  }, 60_000);

  test('a forgotten await: a Future among the arguments is refused at the call, a Promise fails its future with the advice to await', async () => {
    const executor = makePool(kind, { maxWorkers: 1 });
    const echo = (value: unknown): unknown => value;
    const pending = executor.submit((x: number) => x + 1, 1);
    // A Future would arrive as {} (its state is in private fields): refused where the call is made.
    expectThrow(
      () => executor.submit(echo, pending),
      TypeError,
      /Argument 0 of this call is a Future/,
      /await/,
    );
    const pair = (a: unknown, b: unknown): unknown => [a, b];
    expectThrow(() => executor.submit(pair, 1, [2, pending]), TypeError, /Element 1 of argument 1/);
    expectThrow(
      () => executor.schedule(echo, { args: [pending], timeout: 60_000 }),
      TypeError,
      /Argument 0 of this call is a Future/,
    );
    await expectReject(
      (async () => {
        for await (const value of executor.map(echo, [1, pending], { chunksize: 4 })) void value;
      })(),
      TypeError,
      /An item given to map\(\) is a Future/,
    );
    await expectReject(
      (async () => {
        for await (const value of executor.map(echo, [1, pending])) void value;
      })(),
      TypeError,
      /Argument 0 of this call is a Future/,
    );
    // A Promise is refused by the serializer; the advice is to await it.
    const promised = (await executor.submit(echo, Promise.resolve(1)).exception()) as Error;
    expect(promised).toBeInstanceOf(TypeError);
    expect(promised.message).toMatch(/A Promise cannot travel to a worker: await it/);
    const returned = (await executor.submit(() => [Promise.resolve(1)]).exception()) as Error;
    expect(returned.message).toMatch(/await it in the function/);
    // Awaited, the same values travel. No refused call reached the worker: what completed is
    // `pending`, the unchunked map's first item (submitted before the Future), and these two.
    expect(await executor.submit(echo, await pending)).toBe(2);
    expect(await executor.submit(echo, [await pending])).toEqual([2]);
    expect(executor.stats().calls.completed).toBe(4);
    await withTimeout(executor.shutdown(), 15_000, 'shutdown()');
  }, 60_000);
});

describe('wait, asCompleted and Future refuse bad arguments at the call', () => {
  const done = new Future<number>();
  done.setResult(1);

  test('wait(): a rejected promise naming the argument', async () => {
    await expectReject(wait(5 as never), TypeError, /fs/, /iterable/);
    await expectReject(wait(null as never), TypeError, /fs/);
    await expectReject(wait(undefined as never), TypeError, /fs/);
    await expectReject(wait([done, 5] as never), TypeError, /Future/);
    await expectReject(wait([done, Promise.resolve(1)] as never), TypeError, /Future/);
    await expectReject(wait([done], { timeout: -1 }), RangeError, /timeout.*-1/);
    await expectReject(wait([done], { timeout: NaN }), RangeError, /timeout.*NaN/);
    await expectReject(wait([done], { timeout: '5' } as never), TypeError, /timeout/);
    await expectReject(
      wait([done], { returnWhen: 'WHENEVER' } as never),
      RangeError,
      /returnWhen.*FIRST_COMPLETED.*"WHENEVER"/,
    );
    await expectReject(wait([done], 'fast' as never), TypeError, /options/);
    // Good input still works: duplicates count once, [] resolves at once.
    expect((await wait([done, done])).done.size).toBe(1);
    expect(await wait([])).toEqual({ done: new Set(), notDone: new Set() });
  });

  test('asCompleted(): throws synchronously, before any iteration', () => {
    expectThrow(() => asCompleted(5 as never), TypeError, /fs/);
    expectThrow(() => asCompleted([done, 'future'] as never), TypeError, /Future/);
    expectThrow(() => asCompleted([done], { timeout: -1 }), RangeError, /timeout.*-1/);
    expectThrow(() => asCompleted([done], { timeout: NaN }), RangeError, /timeout.*NaN/);
    expectThrow(() => asCompleted([done], { timeout: {} } as never), TypeError, /timeout/);
  });

  test('Future.result / exception / addDoneCallback', async () => {
    const pending = new Future<number>();
    for (const future of [done, pending]) {
      await expectReject(future.result(-1), RangeError, /timeout.*-1/);
      await expectReject(future.result(NaN), RangeError, /timeout.*NaN/);
      await expectReject(future.result('10' as never), TypeError, /timeout.*"10"/);
      await expectReject(future.exception(-0.5), RangeError, /timeout/);
      await expectReject(future.exception(10n as never), TypeError, /timeout/);
      expectThrow(() => future.addDoneCallback('cb' as never), TypeError, /callback.*function/);
    }
    // null and undefined mean no timeout.
    expect(await done.result(null as never)).toBe(1);
    expect(await done.result(undefined)).toBe(1);
    pending.cancel();
  });
});
