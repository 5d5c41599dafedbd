// Type tests: what the public types promise, checked by the compiler. `npm run typecheck` checks
// this file against the built types; tests/package/pack.test.ts copies it into a project that
// installed the packed package and compiles it with TypeScript 5.4, 5.9 and 7, module nodenext and
// node16, as ESM and as CommonJS. A line marked @ts-expect-error fails the compile if it compiles.
//
// No top-level await and no import.meta, so that the same text compiles as a CommonJS module.

/* eslint-disable @typescript-eslint/no-unused-vars -- values here exist to have their types inspected */

import {
  asCompleted,
  EventLoopExecutor,
  fromModule,
  Future,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  transfer,
  wait,
  type Executor,
  type ExecutorStats,
  type TimeStats,
} from 'concurrent-futures';

/** True when X and Y are the same type (not merely assignable either way). */
type Equal<X, Y> =
  (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expectTrue<T extends true>(): T | void {}

declare function isPrime(n: number): boolean;
declare function loadPage(url: string, options: { retries: number }): Promise<{ status: number }>;
const primes = new URL('file:///project/primes.js');

export async function asCompletedGivesTheFutures(executor: Executor): Promise<void> {
  const a = executor.submit((n: number) => n * 2, 21);
  const b = new Future<string>();
  for await (const future of asCompleted([a, b])) {
    // The iteration gives the futures themselves (not their values), as Python's as_completed.
    expectTrue<Equal<Awaited<ReturnType<typeof future.result>>, number | string>>();
    const value: number | string = await future.result();
    future.cancel();
    // @ts-expect-error a future is not its value
    const wrong: number = future;
    void value;
    void wrong;
  }
  for await (const future of asCompleted([a])) {
    const value = await future.result();
    expectTrue<Equal<typeof value, number>>();
  }
}

export async function awaitAFuture(): Promise<void> {
  const future = new Future<{ id: number }>();
  const value = await future;
  expectTrue<Equal<typeof value, { id: number }>>();
  const { done, notDone } = await wait([future, new Future<string>()]);
  expectTrue<Equal<typeof done, Set<Future<{ id: number }> | Future<string>>>>();
  void notDone;
}

export function fromModuleCarriesTheExportSignature(executor: Executor): void {
  const isPrimeRef = fromModule<typeof isPrime>(primes, 'isPrime');
  const checked = executor.submit(isPrimeRef, 7);
  expectTrue<Equal<typeof checked, Future<boolean>>>();
  // @ts-expect-error isPrime takes a number
  executor.submit(isPrimeRef, '7');
  // @ts-expect-error isPrime takes one argument
  executor.submit(isPrimeRef);

  const page = executor.submit(fromModule<typeof loadPage>(primes, 'loadPage'), 'https://x', {
    retries: 2,
  });
  // An async export's future holds what its promise resolves to.
  expectTrue<Equal<typeof page, Future<{ status: number }>>>();
  const results = executor.map(isPrimeRef, [1, 2, 3]);
  expectTrue<Equal<typeof results, AsyncIterableIterator<boolean>>>();
}

export function initargsMatchTheInitializer(): void {
  const setUp = (name: string, level: number): void => void [name, level];
  // The initializer's parameters do not leak into the executor's type.
  const typed: ThreadPoolExecutor = new ThreadPoolExecutor({
    initializer: setUp,
    initargs: ['db', 2],
  });
  const general: Executor = typed;
  void general;
  new ProcessPoolExecutor({ initializer: setUp, initargs: ['db', 2] });
  new EventLoopExecutor({ initializer: setUp, initargs: ['db', 2] });
  // @ts-expect-error the second argument is a number
  new ThreadPoolExecutor({ initializer: setUp, initargs: ['db', 'high'] });
  // @ts-expect-error one argument is missing
  new ProcessPoolExecutor({ initializer: setUp, initargs: ['db'] });
  // @ts-expect-error the second argument is a number
  new EventLoopExecutor({ initializer: setUp, initargs: ['db', 'high'] });
  // A module initializer is checked the same way.
  const moduleSetUp = fromModule<(port: number) => Promise<void>>(primes, 'setUp');
  new ThreadPoolExecutor({ initializer: moduleSetUp, initargs: [8080] });
  // @ts-expect-error the port is a number
  new ThreadPoolExecutor({ initializer: moduleSetUp, initargs: ['8080'] });
  // Without an initializer anything goes, and options typed ahead of time still fit.
  new ThreadPoolExecutor({ maxWorkers: 2 });
  const options: ConstructorParameters<typeof ProcessPoolExecutor>[0] = {
    initializer: (why: string) => void why,
    initargs: ['x'],
  };
  new ProcessPoolExecutor(options);
}

export function scheduleRequiresArgsWhenTheFunctionTakesSome(executor: Executor): void {
  const none = executor.schedule(() => 'ready', { timeout: 100 });
  expectTrue<Equal<typeof none, Future<string>>>();
  executor.schedule(async () => 1);
  const some = executor.schedule((a: number, b: number) => a + b, { args: [1, 2], timeout: 50 });
  expectTrue<Equal<typeof some, Future<number>>>();
  // @ts-expect-error the function takes parameters: args is required
  executor.schedule((a: number) => a, { timeout: 100 });
  // @ts-expect-error the function takes parameters: options with args are required
  executor.schedule((a: number) => a);
  // @ts-expect-error the arguments must match the parameters
  executor.schedule((a: number) => a, { args: ['1'] });
  // @ts-expect-error a function without parameters takes no arguments
  executor.schedule(() => 1, { args: [1] });
}

export async function disposal(): Promise<void> {
  await using executor = new ThreadPoolExecutor();
  const future = executor.submit((x: number) => x + 1, 1);
  expectTrue<Equal<typeof future, Future<number>>>();
}

export async function statsOnEveryLocalExecutor(
  thread: ThreadPoolExecutor,
  process: ProcessPoolExecutor,
  loop: EventLoopExecutor,
): Promise<void> {
  for (const executor of [thread, process, loop]) {
    expectTrue<Equal<ReturnType<typeof executor.stats>, ExecutorStats>>();
    expectTrue<Equal<ExecutorStats['runTime'], TimeStats>>();
    const idle: Promise<void> = executor.onIdle();
    await idle;
    const failed: number = executor.stats().calls.failed;
    void failed;
  }
  // Ending a pool's workers: both pools; not the event loop, which has none.
  const ended: Promise<void>[] = [thread.terminateWorkers(), process.killWorkers()];
  void ended;
  // @ts-expect-error the event loop has no workers to end
  void loop.terminateWorkers();
  new ThreadPoolExecutor({ minWorkers: 1, idleTimeout: 1000 });
  new ProcessPoolExecutor({ minWorkers: null, idleTimeout: Infinity });
  // @ts-expect-error minWorkers is a number
  new ThreadPoolExecutor({ minWorkers: '1' });
}

export function transferKeepsTheTypes(executor: ThreadPoolExecutor): void {
  const memory = new ArrayBuffer(8);
  const moved = executor.schedule((m: ArrayBuffer) => m.byteLength, {
    args: [memory],
    transfer: [memory],
  });
  expectTrue<Equal<typeof moved, Future<number>>>();
  const bytes = new Uint8Array(memory);
  // transfer() returns the value itself: a function's result type is unchanged.
  expectTrue<Equal<ReturnType<typeof transfer<Uint8Array>>, Uint8Array>>();
  void transfer(bytes, [bytes.buffer as ArrayBuffer]);
  // (A typed array in `transfer` is refused at run time: before TypeScript 5.7 a Uint8Array is
  // structurally an ArrayBuffer, so the type cannot refuse it in every version this file compiles with.)
}

// Issue 16: a Future's public type shows Python's API (and `state`), nothing an executor uses to
// cooperate: waiters, remote starts and the like are module functions of src/future.ts.
export function futureShowsPythonsApiOnly(future: Future<number>): void {
  type Named = Extract<keyof Future<number>, string>;
  expectTrue<
    Equal<
      Named,
      | 'cancel'
      | 'cancelled'
      | 'running'
      | 'done'
      | 'result'
      | 'exception'
      | 'addDoneCallback'
      | 'then'
      | 'catch'
      | 'finally'
      | 'toString'
      | 'setRunningOrNotifyCancel'
      | 'setResult'
      | 'setException'
      | 'state'
    >
  >();
  // @ts-expect-error for executors only: not a member
  void future.addWaiter;
  // @ts-expect-error for executors only: not a member
  void future.setRemoteStart;
  // @ts-expect-error for executors only: not a member
  void future.hasFailed;
}

/** Settings read from a config, each maybe absent: passed on as they are, `undefined` meaning the default. */
interface Settings {
  workers?: number | undefined;
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  wait?: boolean | undefined;
}

export async function optionsFromAConfig(settings: Settings): Promise<void> {
  // Each compiles under exactOptionalPropertyTypes too (which `tsc --init` turns on).
  const threads = new ThreadPoolExecutor({ maxWorkers: settings.workers, initializer: undefined });
  const processes = new ProcessPoolExecutor({
    maxWorkers: settings.workers,
    minWorkers: undefined,
  });
  const loop = new EventLoopExecutor({ maxWorkers: settings.workers, endGraceMs: undefined });
  const future = threads.schedule((n: number) => n, {
    args: [1],
    timeout: settings.timeout,
    signal: settings.signal,
  });
  await wait([future], { timeout: settings.timeout });
  for await (const value of asCompleted([future], { timeout: settings.timeout })) void value;
  for await (const value of processes.map((n: number) => n, [1], { timeout: settings.timeout }))
    void value;
  await loop.shutdown({ wait: settings.wait, cancelFutures: undefined });
  await threads.shutdown({ wait: settings.wait });
  await processes.shutdown();
}
