// The behaviour every executor keeps (docs: ../../../shared/spec/API.md, the Future, wait,
// asCompleted and Executor rows). `describeExecutorContract` registers the whole suite for one
// executor; contract.test.ts runs it for each executor in its list.
//
// Every function this suite submits (and every initializer) is self-contained: it uses only its
// parameters and globals, and imports what it needs itself with `await import()`. The pools send a
// function to a worker by its source text, so a function that read a variable of this file would
// fail there. What only an executor sharing the test's memory can do is under
// `capabilities.sharesMemory`, and nowhere else.
//
// Timing: no assertion depends on how fast anything runs. A call that must stay running waits for
// a gate (a file the test creates when it is done looking; files work across threads and
// processes); a call that must be slow sleeps for a time it gets as an argument.

import { mkdtempSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALL_COMPLETED,
  BrokenExecutor,
  CancelledError,
  Executor,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  TimeoutError,
  asCompleted,
  fromModule,
  wait,
  type Callable,
} from 'concurrent-futures';
import { collect } from '../support/iteration.js';

/** What an executor can do beyond the contract; declared once per executor in contract.test.ts. */
export interface ExecutorCapabilities {
  /**
   * Calls run in the test's own thread and memory: nothing is cloned, so a thrown error, an
   * argument and a result keep their identity (the EventLoopExecutor). False for the pools.
   */
  sharesMemory: boolean;
  /** It takes `initializer` / `initargs` (default true; the QueueExecutor's hosts own their set-up). */
  initializer?: boolean;
  /** It takes `maxWorkers` (default true; the QueueExecutor's row maps it to `maxPending`). */
  maxWorkersOption?: boolean;
}

/** The options every executor takes; the suite passes only these. */
export interface ContractExecutorOptions {
  maxWorkers?: number | null;
  initializer?: Callable | null;
  initargs?: unknown[] | null;
}

export type ExecutorFactory = (options?: ContractExecutorOptions) => Executor;

// ── Functions the suite submits: self-contained (parameters and globals only) ───────────────

function add(a: number, b: number): number {
  return a + b;
}

async function sleepThenReturn(ms: number, value: unknown): Promise<unknown> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

function throwIt(error: unknown): never {
  throw error;
}

async function rejectWith(error: unknown): Promise<never> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw error;
}

function throwCustom(message: string): never {
  class CustomError extends Error {
    code = 'E_CUSTOM';
    constructor(text: string) {
      super(text);
      this.name = 'CustomError';
    }
  }
  throw new CustomError(message);
}

function throwNumber(): never {
  throw 42;
}

/** A wait on a future of its own that runs past its timeout: this package's TimeoutError. */
async function awaitNestedFutureBriefly(): Promise<unknown> {
  const { Future } = await import('concurrent-futures');
  return new Future().result(1);
}

/** Throws one of this package's error classes, by name. */
async function throwPackageError(className: string, message: string): Promise<never> {
  const classes = (await import('concurrent-futures')) as unknown as Record<
    string,
    new (text: string) => Error
  >;
  throw new classes[className]!(message);
}

/** Throws an error class of the call's own that is only named like one of this package's. */
function throwLookalikeTimeout(): never {
  class TimeoutError extends Error {
    constructor() {
      super('not the package one');
      this.name = 'TimeoutError';
    }
  }
  throw new TimeoutError();
}

function failOn(item: number, bad: number): number {
  if (item === bad) throw new Error(`item ${item} failed`);
  return item * 10;
}

/** Writes `marker` (if given) to show it ran, then waits until the file `gate` exists (if given). */
async function markThenAwaitGate(marker: string, gate: string, value: unknown): Promise<unknown> {
  const fs = await import('node:fs');
  if (marker !== '') fs.writeFileSync(marker, 'ran');
  const started = Date.now();
  while (gate !== '' && !fs.existsSync(gate)) {
    if (Date.now() - started > 30_000) throw new Error(`the gate ${gate} never opened`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return value;
}

/** Writes `marker`, waits for the file `gate` if one is given, then sleeps `ms`. */
async function markAwaitSleep(
  marker: string,
  gate: string,
  ms: number,
  value: unknown,
): Promise<unknown> {
  const fs = await import('node:fs');
  fs.writeFileSync(marker, 'ran');
  const started = Date.now();
  while (gate !== '' && !fs.existsSync(gate)) {
    if (Date.now() - started > 30_000) throw new Error(`the gate ${gate} never opened`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

/** The wall-clock span (ms, sub-ms precision) of a call that sleeps `ms`. */
async function timeSpan(ms: number): Promise<[number, number]> {
  const start = performance.timeOrigin + performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return [start, performance.timeOrigin + performance.now()];
}

function readGlobal(key: string): unknown {
  return (globalThis as Record<string, unknown>)[key];
}

async function setGlobalSlowly(key: string, value: unknown, ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  (globalThis as Record<string, unknown>)[key] = value;
}

function countInGlobal(key: string): void {
  const scope = globalThis as Record<string, unknown>;
  scope[key] = ((scope[key] as number | undefined) ?? 0) + 1;
}

function failToInitialize(message: string): never {
  throw new Error(message);
}

async function rejectToInitialize(message: string): Promise<never> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new Error(message);
}

// ── Helpers the test itself uses (never submitted) ──────────────────────────────────────────

const tasksModule = new URL('./fixtures/tasks.js', import.meta.url);
const objectExportsModule = new URL('./fixtures/object-exports.cjs', import.meta.url);

/** Waits for `condition` to hold: a bound on how long, not an assertion about speed. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 20_000) throw new Error(`Gave up waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function* countForever(pulled: { count: number }): Generator<number> {
  for (let i = 0; ; i++) {
    pulled.count++;
    yield i;
  }
}

function errorOf(promise: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(promise).then(
    () => {
      throw new Error('Expected a rejection, got a value.');
    },
    (error: unknown) => error,
  );
}

let uniqueCounter = 0;
function uniqueKey(label: string): string {
  return `__contract_${label}_${process.pid}_${++uniqueCounter}`;
}

// ── The suite ────────────────────────────────────────────────────────────────────────────────

export function describeExecutorContract(
  name: string,
  factory: ExecutorFactory,
  capabilities: ExecutorCapabilities,
): void {
  // A pool rebuilds a worker's error in the caller: equal, never the very same object.
  const testIfSharesMemory = (title: string, body: () => Promise<void>): void =>
    capabilities.sharesMemory
      ? test(title, body)
      : test.skip(
          `${title} (skipped: errors from a worker are rebuilt, not the same object)`,
          body,
        );

  describe(`${name} keeps the executor contract`, () => {
    let dir: string;
    let executors: Executor[];
    let gates: string[];

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'cf-contract-'));
      executors = [];
      gates = [];
    });

    afterEach(async () => {
      // Whatever a test left waiting is released, then every executor it made is shut down.
      for (const gate of gates) openGate(gate);
      await Promise.all(executors.map((executor) => executor.shutdown({ cancelFutures: true })));
      rmSync(dir, { recursive: true, force: true });
    });

    function make(options?: ContractExecutorOptions): Executor {
      const executor = factory(options);
      executors.push(executor);
      return executor;
    }

    /** A gate path: calls that await it run until `openGate(path)`. */
    function newGate(): string {
      const gate = join(dir, `gate-${gates.length}`);
      gates.push(gate);
      return gate;
    }

    function openGate(gate: string): void {
      if (!existsSync(gate)) writeFileSync(gate, 'open');
    }

    function marker(label: string | number): string {
      return join(dir, `ran-${label}`);
    }

    function ran(label: string | number): boolean {
      return existsSync(marker(label));
    }

    describe('submit', () => {
      test('runs a sync function and resolves its future with the return value', async () => {
        const executor = make();
        const future = executor.submit(add, 2, 3);
        expect(future).toBeInstanceOf(Future);
        expect(await future).toBe(5);
        expect(await future.result()).toBe(5);
        expect(await future.exception()).toBeUndefined();
        expect([future.done(), future.cancelled(), future.running()]).toEqual([true, false, false]);
      });

      test('awaits the promise of an async function', async () => {
        const executor = make();
        const value = { list: [1, 2], nested: { text: 'x' } };
        expect(await executor.submit(sleepThenReturn, 5, value)).toEqual(value);
      });

      test('never starts a call inside submit(): a call submitted in this tick can be cancelled in this tick', async () => {
        const executor = make();
        const future = executor.submit(markThenAwaitGate, marker('same-tick'), '', 'value');
        expect(future.running()).toBe(false);
        expect(future.cancel()).toBe(true);
        expect([future.cancelled(), future.done()]).toEqual([true, true]);
        await executor.shutdown();
        expect(await errorOf(future.result())).toBeInstanceOf(CancelledError);
        expect(ran('same-tick')).toBe(false);
      });

      test('throws a TypeError, scheduling nothing, for something that is not a function', () => {
        const executor = make();
        for (const notCallable of [42, null, undefined, 'add', {}, [add]]) {
          expect(() => executor.submit(notCallable as never)).toThrow(TypeError);
        }
      });

      test('a sync throw fails the future with an error of the same class, name and message', async () => {
        const executor = make();
        const future = executor.submit(throwIt, new TypeError('bad input'));
        const error = await errorOf(future);
        expect(error).toBeInstanceOf(TypeError);
        expect(error).toMatchObject({ name: 'TypeError', message: 'bad input' });
        expect(await future.exception()).toMatchObject({ name: 'TypeError', message: 'bad input' });
        expect(future.done()).toBe(true);
      });

      test('an async rejection fails the future', async () => {
        const executor = make();
        const error = await errorOf(executor.submit(rejectWith, new RangeError('out of range')));
        expect(error).toBeInstanceOf(RangeError);
        expect(error).toMatchObject({ name: 'RangeError', message: 'out of range' });
      });

      test('an error class of the call keeps its name, message and own properties', async () => {
        const executor = make();
        const error = await errorOf(executor.submit(throwCustom, 'custom failure'));
        expect(error).toBeInstanceOf(Error);
        expect(error).toMatchObject({
          name: 'CustomError',
          message: 'custom failure',
          code: 'E_CUSTOM',
        });
      });

      test('a thrown non-Error value arrives as that value', async () => {
        const executor = make();
        const future = executor.submit(throwNumber);
        expect(await errorOf(future)).toBe(42);
        expect(await future.exception()).toBe(42);
      });

      test("an error of this package's own classes keeps its class; a lookalike does not take it", async () => {
        const executor = make();
        const nested = await errorOf(executor.submit(awaitNestedFutureBriefly));
        expect(nested).toBeInstanceOf(TimeoutError);
        expect(nested).toMatchObject({ name: 'TimeoutError' });
        const cancelled = await errorOf(
          executor.submit(throwPackageError, 'CancelledError', 'gone'),
        );
        expect(cancelled).toBeInstanceOf(CancelledError);
        expect(cancelled).toMatchObject({ name: 'CancelledError', message: 'gone' });
        const broken = await errorOf(
          executor.submit(throwPackageError, 'BrokenProcessPool', 'a nested pool broke'),
        );
        expect(broken).toBeInstanceOf(BrokenExecutor);
        expect(broken).toMatchObject({ name: 'BrokenProcessPool', message: 'a nested pool broke' });
        const lookalike = await errorOf(executor.submit(throwLookalikeTimeout));
        expect(lookalike).not.toBeInstanceOf(TimeoutError);
        expect(lookalike).toMatchObject({ name: 'TimeoutError', message: 'not the package one' });
      });

      testIfSharesMemory('a thrown error is the very object the call threw', async () => {
        const executor = make();
        const thrown = new Error('the same one');
        expect(await errorOf(executor.submit(throwIt, thrown))).toBe(thrown);
        expect(await errorOf(executor.submit(rejectWith, thrown))).toBe(thrown);
      });
    });

    describe('fromModule() references', () => {
      test('run a named export and the default export', async () => {
        const executor = make();
        expect(
          await executor.submit(fromModule<(x: number) => number>(tasksModule, 'double'), 21),
        ).toBe(42);
        expect(
          await executor.submit(
            fromModule<(v: string) => Promise<string>>(tasksModule, 'later'),
            'v',
          ),
        ).toBe('v');
        expect(
          await executor.submit(fromModule<(name: string) => string>(tasksModule), 'you'),
        ).toBe('hello you');
      });

      test('a CommonJS module that assigns module.exports an object: its functions by name', async () => {
        const executor = make();
        expect(
          await executor.submit(
            fromModule<(a: number, b: number) => number>(objectExportsModule, 'add'),
            2,
            3,
          ),
        ).toBe(5);
        expect(
          await executor.submit(
            fromModule<(x: number) => number>(objectExportsModule, 'double'),
            4,
          ),
        ).toBe(8);
        const missing = await errorOf(executor.submit(fromModule(objectExportsModule, 'triple')));
        expect(missing).toBeInstanceOf(TypeError);
        expect((missing as Error).message).toMatch(/"triple".*add, double|add, double.*"triple"/);
        // What every object inherits is no export: these called Function (its arguments as source),
        // gave "[object Undefined]", or threw an unrelated error.
        for (const inherited of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
          const error = await errorOf(
            executor.submit(fromModule(objectExportsModule, inherited), 'return 1'),
          );
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toContain(`"${inherited}"`);
          expect((error as Error).message).toMatch(/no export/);
        }
        // A class instance exported whole: its class's methods are exports, toString too.
        const instance = new URL('./fixtures/class-instance.cjs', import.meta.url);
        expect(
          await executor.submit(fromModule<(x: number) => number>(instance, 'double'), 4),
        ).toBe(8);
        expect(
          await executor.submit(fromModule<(x: number) => string>(instance, 'toString'), 4),
        ).toBe('formatted 4');
      });

      test('a missing export fails the future with an error naming the module and the export', async () => {
        const executor = make();
        const error = await errorOf(executor.submit(fromModule(tasksModule, 'noSuchExport')));
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain('noSuchExport');
        expect((error as Error).message).toContain('tasks.js');
        // The executor goes on working.
        expect(
          await executor.submit(fromModule<(x: number) => number>(tasksModule, 'double'), 2),
        ).toBe(4);
      });

      test('a missing module fails the future with an error naming the module and the export', async () => {
        const executor = make();
        const missing = new URL('./fixtures/no-such-module.js', import.meta.url);
        const error = await errorOf(executor.submit(fromModule(missing, 'anything')));
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain('anything');
        expect((error as Error).message).toContain('no-such-module.js');
      });
    });

    describe('the futures of calls', () => {
      test('cancel() of a call waiting behind a running one returns true, and the call never runs', async () => {
        const executor = make({ maxWorkers: 1 });
        const gate = newGate();
        const first = executor.submit(markThenAwaitGate, '', gate, 'first');
        // The call right behind the running one may be handed ahead to the worker (a process pool
        // does that), so the suite cancels the ones after it.
        const second = executor.submit(markThenAwaitGate, marker(2), '', 'second');
        const third = executor.submit(markThenAwaitGate, marker(3), '', 'third');
        const fourth = executor.submit(markThenAwaitGate, marker(4), '', 'fourth');
        await until(() => first.running(), 'the first call to run');
        expect(fourth.cancel()).toBe(true);
        expect(third.cancel()).toBe(true);
        expect(third.cancel()).toBe(true); // cancelling twice is fine
        expect([third.cancelled(), third.done(), third.running()]).toEqual([true, true, false]);
        openGate(gate);
        await executor.shutdown();
        expect(await first).toBe('first');
        expect(await second).toBe('second');
        expect(await errorOf(third)).toBeInstanceOf(CancelledError);
        expect(await errorOf(fourth.exception())).toBeInstanceOf(CancelledError);
        expect([ran(2), ran(3), ran(4)]).toEqual([true, false, false]);
      });

      test('running() is true while the call runs, and cancel() then returns false', async () => {
        const executor = make();
        const gate = newGate();
        const future = executor.submit(markThenAwaitGate, '', gate, 'done');
        await until(() => future.running(), 'the call to run');
        expect(future.done()).toBe(false);
        expect(future.cancel()).toBe(false);
        expect([future.cancelled(), future.running()]).toEqual([false, true]);
        openGate(gate);
        expect(await future).toBe('done');
        expect([future.running(), future.done(), future.cancelled()]).toEqual([false, true, false]);
      });

      test('done callbacks run once each, in the order added, with the future', async () => {
        const executor = make();
        const gate = newGate();
        const future = executor.submit(markThenAwaitGate, '', gate, 7);
        const seen: Array<[string, unknown, boolean]> = [];
        future.addDoneCallback((f) => seen.push(['a', f, f.done()]));
        future.addDoneCallback((f) => seen.push(['b', f, f.done()]));
        expect(seen).toEqual([]);
        openGate(gate);
        await future;
        expect(seen).toEqual([
          ['a', future, true],
          ['b', future, true],
        ]);
        future.addDoneCallback((f) => seen.push(['late', f, f.done()])); // already done: runs at once
        expect(seen).toHaveLength(3);
        expect(seen[2]).toEqual(['late', future, true]);
      });

      test('a done callback runs inside cancel() for a call that had not started', () => {
        const executor = make();
        const future = executor.submit(add, 1, 1);
        const seen: boolean[] = [];
        future.addDoneCallback((f) => seen.push(f.cancelled()));
        expect(future.cancel()).toBe(true);
        expect(seen).toEqual([true]);
      });
    });

    describe('wait and asCompleted over calls', () => {
      test('wait FIRST_COMPLETED returns the call that finished while another still runs', async () => {
        const executor = make({ maxWorkers: 2 });
        const gated = executor.submit(markThenAwaitGate, '', newGate(), 'slow');
        const quick = executor.submit(add, 1, 2);
        const { done, notDone } = await wait([gated, quick], { returnWhen: FIRST_COMPLETED });
        expect(done).toEqual(new Set([quick]));
        expect(notDone).toEqual(new Set([gated]));
      });

      test('wait FIRST_EXCEPTION returns at the first call that fails', async () => {
        const executor = make({ maxWorkers: 2 });
        const gated = executor.submit(markThenAwaitGate, '', newGate(), 'slow');
        const failing = executor.submit(rejectWith, new Error('failed'));
        const { done, notDone } = await wait([gated, failing], { returnWhen: FIRST_EXCEPTION });
        expect(done).toEqual(new Set([failing]));
        expect(notDone).toEqual(new Set([gated]));
      });

      test('wait ALL_COMPLETED waits for every call, and a timeout returns what is done so far', async () => {
        const executor = make({ maxWorkers: 2 });
        const gate = newGate();
        const gated = executor.submit(markThenAwaitGate, '', gate, 'slow');
        const quick = executor.submit(add, 1, 2);
        await quick;
        const early = await wait([gated, quick], { timeout: 20, returnWhen: ALL_COMPLETED });
        expect(early.done).toEqual(new Set([quick]));
        expect(early.notDone).toEqual(new Set([gated]));
        openGate(gate);
        const all = await wait([gated, quick]);
        expect(all.done).toEqual(new Set([gated, quick]));
        expect(all.notDone).toEqual(new Set());
      });

      test('asCompleted yields the calls that are done first, then in the order they finish', async () => {
        const executor = make({ maxWorkers: 3 });
        const [gateA, gateB, gateC] = [newGate(), newGate(), newGate()];
        const done = executor.submit(add, 0, 0);
        await done;
        const a = executor.submit(markThenAwaitGate, '', gateA, 'a');
        const b = executor.submit(markThenAwaitGate, '', gateB, 'b');
        const c = executor.submit(markThenAwaitGate, '', gateC, 'c');
        const iterator = asCompleted([a, b, c, done]);
        expect((await iterator.next()).value).toBe(done);
        const next = iterator.next();
        openGate(gateB);
        expect((await next).value).toBe(b);
        openGate(gateC);
        expect((await iterator.next()).value).toBe(c);
        openGate(gateA);
        expect((await iterator.next()).value).toBe(a);
        expect((await iterator.next()).done).toBe(true);
      });

      test('asCompleted throws TimeoutError while a call is still running at the timeout', async () => {
        const executor = make({ maxWorkers: 2 });
        const quick = executor.submit(add, 2, 2);
        await quick;
        const gated = executor.submit(markThenAwaitGate, '', newGate(), 'slow');
        const yielded: unknown[] = [];
        const error = await errorOf(
          (async () => {
            for await (const future of asCompleted([gated, quick], { timeout: 20 }))
              yielded.push(future);
          })(),
        );
        expect(error).toBeInstanceOf(TimeoutError);
        expect(yielded).toEqual([quick]);
      });
    });

    describe('map', () => {
      test('yields the results in input order, whatever order the calls finish in', async () => {
        const executor = make({ maxWorkers: 4 });
        const delays = [60, 40, 20, 0];
        expect(await collect(executor.map(sleepThenReturn, delays, ['a', 'b', 'c', 'd']))).toEqual([
          'a',
          'b',
          'c',
          'd',
        ]);
      });

      test('zips several iterables, stopping at the shortest', async () => {
        const executor = make();
        expect(await collect(executor.map(add, [1, 2, 3], [10, 20]))).toEqual([11, 22]);
        expect(await collect(executor.map(add, [], [1]))).toEqual([]);
      });

      test('takes async iterables', async () => {
        const executor = make();
        async function* numbers(): AsyncGenerator<number> {
          yield 1;
          yield 2;
          yield 3;
        }
        expect(await collect(executor.map(add, numbers(), [100, 200, 300]))).toEqual([
          101, 202, 303,
        ]);
      });

      test('a call error is thrown when its result is reached, after the results before it', async () => {
        const executor = make();
        const seen: number[] = [];
        const error = await errorOf(
          (async () => {
            for await (const value of executor.map(failOn, [0, 1, 2, 3, 4], [3, 3, 3, 3, 3]))
              seen.push(value);
          })(),
        );
        expect(error).toMatchObject({ message: 'item 3 failed' });
        expect(seen).toEqual([0, 10, 20]);
      });

      test('accepts chunksize and gives the same results, errors included', async () => {
        const executor = make({ maxWorkers: 2 });
        const items = Array.from({ length: 10 }, (_, i) => i);
        expect(await collect(executor.map(add, items, items, { chunksize: 3 }))).toEqual(
          items.map((i) => 2 * i),
        );
        const seen: number[] = [];
        const error = await errorOf(
          (async () => {
            for await (const value of executor.map(
              failOn,
              items,
              items.map(() => 4),
              { chunksize: 3 },
            ))
              seen.push(value);
          })(),
        );
        expect(error).toMatchObject({ message: 'item 4 failed' });
        expect(seen).toEqual([0, 10, 20, 30]);
      });

      test('refuses bad options at the call, naming the option', () => {
        const executor = make();
        expect(() => executor.map(add, [1], [1], { chunksize: 0 })).toThrow(RangeError);
        expect(() => executor.map(add, [1], [1], { chunksize: 0 })).toThrow(/chunksize/);
        expect(() => executor.map(add, [1], [1], { buffersize: 1.5 })).toThrow(/buffersize/);
        expect(() => executor.map(add, [1], [1], { timeout: -1 })).toThrow(RangeError);
        expect(() => executor.map(add, [1], [1], { chunksize: '2' as never })).toThrow(TypeError);
      });

      test('with buffersize, submits that many calls at map() and one more per result, so endless input works', async () => {
        const executor = make({ maxWorkers: 2 });
        const pulled = { count: 0 };
        const results = executor.map(add, countForever(pulled), countForever({ count: 0 }), {
          buffersize: 2,
        });
        expect(pulled.count).toBe(2);
        const values: number[] = [];
        for await (const value of results) {
          values.push(value);
          // The one more call goes in before each result is waited for.
          expect(pulled.count).toBe(2 + values.length);
          if (values.length === 5) break;
        }
        expect(values).toEqual([0, 2, 4, 6, 8]);
        await executor.shutdown();
        expect(pulled.count).toBe(7);
      });

      test('throws TimeoutError when the results are not ready within timeout ms of the map() call', async () => {
        const executor = make();
        const results = executor.map(markThenAwaitGate, [''], [newGate()], ['late'], {
          timeout: 20,
        });
        expect(await errorOf(results.next())).toBeInstanceOf(TimeoutError);
      });

      test('leaving the loop early cancels the calls that have not started', async () => {
        const executor = make({ maxWorkers: 1 });
        const gate = newGate();
        const later = newGate();
        const indexes = [0, 1, 2, 3, 4, 5];
        // Call 0 runs until the gate opens; the others wait at a second gate, opened only once
        // the loop is left: none can finish (and let the next start) while the test is slow to
        // leave it, as a loaded machine once made a call of 50 ms do.
        const results = executor.map(
          markAwaitSleep,
          indexes.map((index) => marker(index)),
          indexes.map((index) => (index === 0 ? gate : later)),
          indexes.map(() => 0),
          indexes,
        );
        const first = results.next();
        openGate(gate);
        expect(await first).toEqual({ done: false, value: 0 });
        await results.return!();
        openGate(later);
        await executor.shutdown();
        expect(ran(0)).toBe(true);
        // Call 1 may have started as call 0 finished, and a pool may have handed one more ahead;
        // the rest never run.
        expect([ran(3), ran(4), ran(5)]).toEqual([false, false, false]);
      });
    });

    describe('shutdown', () => {
      test('shutdown() resolves once every submitted call is done', async () => {
        const executor = make({ maxWorkers: 2 });
        const futures = [10, 20, 5].map((ms) => executor.submit(sleepThenReturn, ms, ms));
        await executor.shutdown();
        expect(futures.map((future) => future.done())).toEqual([true, true, true]);
        expect(await Promise.all(futures)).toEqual([10, 20, 5]);
        await executor.shutdown(); // idempotent
      });

      test('shutdown({ wait: false }) resolves at once; the calls still finish', async () => {
        const executor = make();
        const gate = newGate();
        const future = executor.submit(markThenAwaitGate, '', gate, 'finished');
        await executor.shutdown({ wait: false });
        expect(future.done()).toBe(false);
        openGate(gate);
        expect(await future).toBe('finished');
        await executor.shutdown({ wait: true });
      });

      test('shutdown({ cancelFutures: true }) right after a burst of submits cancels every call', async () => {
        const executor = make({ maxWorkers: 2 });
        const futures = [0, 1, 2].map((i) => executor.submit(markThenAwaitGate, marker(i), '', i));
        await executor.shutdown({ cancelFutures: true });
        expect(futures.map((future) => future.cancelled())).toEqual([true, true, true]);
        expect([ran(0), ran(1), ran(2)]).toEqual([false, false, false]);
      });

      test('shutdown({ cancelFutures: true }) lets the running call finish and cancels the waiting ones', async () => {
        const executor = make({ maxWorkers: 1 });
        const gate = newGate();
        const running = executor.submit(markThenAwaitGate, '', gate, 'finished');
        const waiting = [1, 2, 3].map((i) => executor.submit(markThenAwaitGate, marker(i), '', i));
        await until(() => running.running(), 'the first call to run');
        const shutDown = executor.shutdown({ cancelFutures: true });
        // The call right behind the running one may have been handed ahead (a process pool does).
        expect(waiting.slice(1).map((future) => future.cancelled())).toEqual([true, true]);
        openGate(gate);
        await shutDown;
        expect(await running).toBe('finished');
        expect([ran(2), ran(3)]).toEqual([false, false]);
        expect(waiting.every((future) => future.done())).toBe(true);
      });

      test('submit and map after shutdown() throw an Error that mentions shutdown', async () => {
        const executor = make();
        const shutDown = executor.shutdown();
        expect(() => executor.submit(add, 1, 2)).toThrow(/shut ?down/i);
        expect(() => executor.map(add, [1], [2])).toThrow(/shut ?down/i);
        await shutDown;
        expect(() => executor.submit(add, 1, 2)).toThrow(/shut ?down/i);
      });

      test('shutdown() refuses options of the wrong type', async () => {
        const executor = make();
        await expect(executor.shutdown({ wait: 'yes' as never })).rejects.toThrow(TypeError);
      });

      test('await using shuts the executor down and waits for its calls at the end of the scope', async () => {
        let future: Future<unknown>;
        let escaped: Executor;
        {
          await using executor = make();
          escaped = executor;
          future = executor.submit(sleepThenReturn, 20, 'kept');
        }
        expect(future.done()).toBe(true);
        expect(await future).toBe('kept');
        expect(() => escaped.submit(add, 1, 2)).toThrow(/shut ?down/i);
      });

      test('using shuts the executor down without waiting at the end of the scope', async () => {
        const gate = newGate();
        let future: Future<unknown>;
        let escaped: Executor;
        {
          using executor = make();
          escaped = executor;
          future = executor.submit(markThenAwaitGate, '', gate, 'later');
        }
        expect(() => escaped.submit(add, 1, 2)).toThrow(/shut ?down/i);
        expect(future.done()).toBe(false);
        openGate(gate);
        expect(await future).toBe('later');
      });
    });

    // Skipped rows say why in their titles, as every skipped test of the suite does.
    (capabilities.initializer === false ? describe.skip : describe)(
      capabilities.initializer === false
        ? 'initializer (skipped: this executor takes none; its hosts own their set-up)'
        : 'initializer',
      () => {
        test('runs with initargs, and is awaited, before the first call', async () => {
          const key = uniqueKey('init');
          const executor = make({ initializer: setGlobalSlowly, initargs: [key, 'ready', 20] });
          try {
            expect(await executor.submit(readGlobal, key)).toBe('ready');
          } finally {
            delete (globalThis as Record<string, unknown>)[key];
          }
        });

        test('runs once for the calls of a single worker', async () => {
          const key = uniqueKey('count');
          const executor = make({ maxWorkers: 1, initializer: countInGlobal, initargs: [key] });
          try {
            const futures = [0, 1, 2, 3].map(() => executor.submit(readGlobal, key));
            expect(await Promise.all(futures)).toEqual([1, 1, 1, 1]);
          } finally {
            delete (globalThis as Record<string, unknown>)[key];
          }
        });

        test.each([
          ['throws', failToInitialize],
          ['rejects', rejectToInitialize],
        ])(
          'that %s breaks the executor: pending calls fail with BrokenExecutor and submit throws it',
          async (_how, initializer) => {
            const executor = make({ maxWorkers: 2, initializer, initargs: ['init failed'] });
            const futures = [1, 2, 3].map((i) => executor.submit(add, i, i));
            for (const future of futures) {
              const error = await errorOf(future);
              expect(error).toBeInstanceOf(BrokenExecutor);
              expect((error as Error).message).toMatch(/initializer/);
              expect((error as Error).cause).toBeInstanceOf(Error);
              expect(((error as Error).cause as Error).message).toBe('init failed');
            }
            let thrown: unknown;
            try {
              executor.submit(add, 1, 1);
            } catch (error) {
              thrown = error;
            }
            expect(thrown).toBeInstanceOf(BrokenExecutor);
            expect((thrown as Error).message).toMatch(/initializer/);
            expect(() => executor.map(add, [1], [1])).toThrow(BrokenExecutor);
            await executor.shutdown(); // resolves, never rejects
            expect(() => executor.submit(add, 1, 1)).toThrow(BrokenExecutor); // broken wins over shut down
          },
        );
      },
    );

    describe('maxWorkers', () => {
      (capabilities.maxWorkersOption === false ? test.skip : test)(
        'must be a positive integer (RangeError) of type number (TypeError); null and undefined mean the default' +
          (capabilities.maxWorkersOption === false
            ? ' (skipped: this executor has no maxWorkers option of its own)'
            : ''),
        () => {
          for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
            expect(() => make({ maxWorkers: bad })).toThrow(RangeError);
            expect(() => make({ maxWorkers: bad })).toThrow(/maxWorkers/);
          }
          for (const bad of ['2', true, {}, 2n]) {
            expect(() => make({ maxWorkers: bad as never })).toThrow(TypeError);
            expect(() => make({ maxWorkers: bad as never })).toThrow(/maxWorkers/);
          }
          expect(make({ maxWorkers: null })).toBeInstanceOf(Executor);
          expect(make({ maxWorkers: undefined })).toBeInstanceOf(Executor);
          expect(make()).toBeInstanceOf(Executor);
        },
      );

      test('at most maxWorkers calls run at once', async () => {
        const executor = make({ maxWorkers: 2 });
        const spans = await Promise.all(
          [0, 1, 2, 3, 4, 5].map(() => executor.submit(timeSpan, 100)),
        );
        // Each span is trimmed by 10 ms at both ends, so clocks of different threads or processes
        // cannot make calls that merely touch look overlapping; a real overlap lasts ~100 ms.
        const trimmed = spans.map(([start, end]) => [start + 10, end - 10] as const);
        const mostAtOnce = Math.max(
          ...trimmed.map(([start]) => trimmed.filter(([s, e]) => s <= start && start < e).length),
        );
        expect(mostAtOnce).toBeLessThanOrEqual(2);
        expect(spans).toHaveLength(6);
      });
    });
  });
}
