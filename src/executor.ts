// The abstract Executor: `submit` is each executor's own; `map`, `shutdown`'s checks and the
// disposals are written once here and inherited.

import { checkCallable, type Callable } from './callable.js';
import type { Future } from './future.js';
import { MapRun } from './map.js';
import { checkAbortSignal, checkBoolean, checkOptions, checkPositiveInteger, checkTimeout, describe } from './validate.js';

export interface MapOptions {
  /** Milliseconds from the `map()` call; past it the iterator throws `TimeoutError`. */
  timeout?: number | null;
  /** Items sent to a worker per message (default 1). The EventLoopExecutor checks it and ignores it. */
  chunksize?: number | null;
  /** At most this many submitted calls (chunks, with `chunksize` > 1) whose results are not yet yielded. */
  buffersize?: number | null;
  /** Milliseconds each call (each chunk) may run, from its start. */
  callTimeout?: number | null;
  /** Aborting it ends the whole map. */
  signal?: AbortSignal | null;
}

export interface ShutdownOptions {
  /** Resolve only once every submitted call is done and every worker has exited (default true). */
  wait?: boolean;
  /** Cancel the calls that have not started (default false). */
  cancelFutures?: boolean;
}

/** The iterables `map` zips, one per parameter of the function. */
export type IterablesOf<A extends unknown[]> = { [K in keyof A]: Iterable<A[K]> | AsyncIterable<A[K]> };

export abstract class Executor {
  #shutdownStarted = false;
  #terminated: Promise<void> | undefined = undefined;

  /** Schedules `fn(...args)` and returns its future; never starts the call inside `submit()`. */
  abstract submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>>;

  /**
   * Calls `fn` on the zipped items of `iterables` and yields the results in input order. Calls are
   * submitted now, not when the iteration starts. A trailing plain object is the options.
   */
  map<A extends unknown[], R>(fn: Callable<A, R>, ...iterables: IterablesOf<A>): AsyncIterableIterator<Awaited<R>>;
  map<A extends unknown[], R>(fn: Callable<A, R>, ...iterablesAndOptions: [...IterablesOf<A>, MapOptions]): AsyncIterableIterator<Awaited<R>>;
  map(fn: Callable, ...rest: unknown[]): AsyncIterableIterator<unknown> {
    checkCallable(fn);
    const last = rest[rest.length - 1];
    const options = isOptionsObject(last) ? (rest.pop() as MapOptions) : {};
    const timeout = checkTimeout(options.timeout, 'timeout');
    const chunksize = checkPositiveInteger(options.chunksize, 'chunksize') ?? 1;
    const buffersize = checkPositiveInteger(options.buffersize, 'buffersize');
    checkTimeout(options.callTimeout, 'callTimeout');
    checkAbortSignal(options.signal, 'signal');
    rest.forEach((iterable, index) => {
      if (!isIterable(iterable)) {
        throw new TypeError(`Expected argument ${index + 2} of map() to be an iterable or async iterable, got ${describe(iterable)}.`);
      }
    });
    const chunked = chunksize > 1 && this.submitChunk !== Executor.prototype.submitChunk;
    const run = new MapRun<unknown>({
      iterables: rest,
      chunksize: chunked ? chunksize : 1,
      buffersize,
      timeout,
      submitUnit: chunked
        ? (argLists) => ({ future: this.submitChunk(fn, argLists), chunked: true })
        : (argLists) => ({ future: this.submit(fn, ...(argLists[0] as unknown[])), chunked: false }),
    });
    return run.iterate();
  }

  /**
   * Stops accepting calls. `cancelFutures` cancels the calls not started; `wait` (default true)
   * resolves once every call is done and every worker has exited. Safe to call more than once.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    let wait: boolean;
    try {
      const checked = checkOptions<ShutdownOptions>(options, 'options');
      wait = checkBoolean(checked.wait, 'wait', true);
      if (checkBoolean(checked.cancelFutures, 'cancelFutures', false)) this.cancelPendingCalls();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#shutdownStarted) {
      this.#shutdownStarted = true;
      this.#terminated = this.startShutdown();
    }
    return wait ? this.#terminated! : Promise.resolve();
  }

  /** `await using executor = ...` waits for every call and worker at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /** `using executor = ...` shuts down without waiting at the end of the scope. */
  [Symbol.dispose](): void {
    void this.shutdown({ wait: false });
  }

  /** True once `shutdown()` has been called. */
  protected get isShutdown(): boolean {
    return this.#shutdownStarted;
  }

  /**
   * The checks every `submit` makes first, in Python's order: the function, a broken executor,
   * then a shut-down one. Subclasses return their broken error from `brokenError()`.
   */
  protected checkSubmit(fn: unknown): void {
    checkCallable(fn);
    const broken = this.brokenError();
    if (broken !== undefined) throw broken;
    if (this.#shutdownStarted) {
      throw new Error(`Cannot schedule new calls after shutdown(): this ${this.constructor.name} has been shut down. Create a new executor.`);
    }
  }

  /** The error `submit` throws once the executor is broken (a new instance each time), else undefined. */
  protected brokenError(): Error | undefined {
    return undefined;
  }

  /** Begins winding down; the promise resolves once every call is done and every worker has exited. Never rejects. */
  protected abstract startShutdown(): Promise<void>;

  /** Cancels every call that has not started. */
  protected abstract cancelPendingCalls(): void;

  /**
   * Executors that can run several items per message override this: one future whose value is the
   * list of results, or which fails with a `ChunkFailure`. The base runs no chunks.
   */
  protected submitChunk(_fn: Callable, _argLists: unknown[][]): Future<unknown[]> {
    throw new Error('This executor does not run chunks.');
  }
}

function isIterable(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const candidate = value as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  return typeof candidate[Symbol.iterator] === 'function' || typeof candidate[Symbol.asyncIterator] === 'function';
}

function isOptionsObject(value: unknown): value is MapOptions {
  if (typeof value !== 'object' || value === null || isIterable(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
