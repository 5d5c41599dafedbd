// The abstract Executor: `submit` is each executor's own; `map`, `shutdown`'s checks and the
// disposals are written once here and inherited.

import { checkCallable, type Callable } from './callable.js';
import { Future } from './future.js';
import { MapRun } from './map.js';
import type { CallLimits, LimitedCall } from './limits/limited-call.js';
import { checkTransferList, type TransferItem } from './transfer.js';
import {
  checkAbortSignal,
  checkArray,
  checkBoolean,
  checkOptions,
  checkPositiveInteger,
  ownOptions,
  checkTimeout,
  describe,
  type OptionKeys,
} from './validate.js';

export interface MapOptions {
  /** Milliseconds from the `map()` call; past it the iterator throws `TimeoutError`. */
  timeout?: number | null | undefined;
  /** Items sent to a worker per message (default 1). The EventLoopExecutor checks it and ignores it. */
  chunksize?: number | null | undefined;
  /** At most this many submitted calls (chunks, with `chunksize` > 1) whose results are not yet yielded. */
  buffersize?: number | null | undefined;
  /** Milliseconds each call (each chunk) may run, from its start. */
  callTimeout?: number | null | undefined;
  /** Aborting it ends the whole map. */
  signal?: AbortSignal | null | undefined;
}

export interface ScheduleOptions<A extends unknown[] = unknown[]> {
  /** The call's arguments (default none). */
  args?: A | null | undefined;
  /** Milliseconds the call may run, counted from its start (time queued does not count). */
  timeout?: number | null | undefined;
  /** Aborting it cancels the call if it has not started, or ends it if it runs. */
  signal?: AbortSignal | null | undefined;
  /**
   * `ArrayBuffer`s and `MessagePort`s moved to a worker thread instead of copied: detached here once
   * the call is handed to a worker. A process pool copies them; the event loop passes them as they are.
   */
  transfer?: readonly TransferItem[] | null | undefined;
}

export interface ShutdownOptions {
  /** Resolve only once every submitted call is done and every worker has exited (default true). */
  wait?: boolean | undefined;
  /** Cancel the calls that have not started (default false). */
  cancelFutures?: boolean | undefined;
}

// Every option of map(), schedule() and shutdown(): any other key is refused (see checkOptions).
const MAP_OPTION_KEYS: OptionKeys<MapOptions> = {
  timeout: true,
  chunksize: true,
  buffersize: true,
  callTimeout: true,
  signal: true,
};
const SCHEDULE_OPTION_KEYS: OptionKeys<ScheduleOptions> = {
  args: true,
  timeout: true,
  signal: true,
  transfer: true,
};
const SHUTDOWN_OPTION_KEYS: OptionKeys<ShutdownOptions> = { wait: true, cancelFutures: true };

/** The iterables `map` zips, one per parameter of the function. */
export type IterablesOf<A extends unknown[]> = {
  [K in keyof A]: Iterable<A[K]> | AsyncIterable<A[K]>;
};

export abstract class Executor {
  #shutdownStarted = false;
  #terminated: Promise<void> | undefined = undefined;

  /** Schedules `fn(...args)` and returns its future; never starts the call inside `submit()`. */
  abstract submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>>;

  /**
   * Calls `fn` on the zipped items of `iterables` and yields the results in input order. Calls are
   * submitted now, not when the iteration starts. A trailing plain object is the options.
   */
  map<A extends unknown[], R>(
    fn: Callable<A, R>,
    ...iterables: IterablesOf<A>
  ): AsyncIterableIterator<Awaited<R>>;
  map<A extends unknown[], R>(
    fn: Callable<A, R>,
    ...iterablesAndOptions: [...IterablesOf<A>, MapOptions]
  ): AsyncIterableIterator<Awaited<R>>;
  map(fn: Callable, ...rest: unknown[]): AsyncIterableIterator<unknown> {
    // submit's checks, now: an async source submits only later, and map() must throw at once.
    this.checkSubmit(fn);
    const last = rest[rest.length - 1];
    // A trailing undefined is refused, not taken as no options: it may be an iterable that is
    // missing (map(add, xs, ys) with ys undefined would run add(x) without a word). Python's
    // map(fn, xs, None) fails the same way.
    const options: MapOptions = isOptionsObject(last)
      ? ownOptions(rest.pop() as object, MAP_OPTION_KEYS, 'map()')
      : (Object.create(null) as MapOptions);
    const timeout = checkTimeout(options.timeout, 'timeout');
    const chunksize = checkPositiveInteger(options.chunksize, 'chunksize') ?? 1;
    const buffersize = checkPositiveInteger(options.buffersize, 'buffersize');
    const callTimeout = noLimit(checkTimeout(options.callTimeout, 'callTimeout'));
    const signal = checkAbortSignal(options.signal, 'signal');
    rest.forEach((iterable, index) => {
      if (!isIterable(iterable)) {
        const lastOne = index === rest.length - 1 && index > 0;
        const hint =
          lastOne && typeof iterable === 'object' && iterable !== null
            ? " If it is map()'s options, pass them as a plain object ({ ...options })."
            : '';
        throw new TypeError(
          `Expected argument ${index + 2} of map() to be an iterable or async iterable, got ${describe(iterable)}.${hint}`,
        );
      }
    });
    // With a callTimeout or a signal every call is a limited one (see src/limits/): the run ends
    // them through the LimitedCall each submit gives back; the map's signal itself is watched
    // once, by the run.
    const limits: CallLimits | undefined =
      callTimeout !== undefined || signal !== undefined
        ? { timeout: callTimeout, signal: undefined }
        : undefined;
    const chunked = chunksize > 1 && this.submitChunk !== Executor.prototype.submitChunk;
    return new MapRun<unknown>({
      iterables: rest,
      chunksize: chunked ? chunksize : 1,
      buffersize,
      timeout,
      signal,
      submitOne:
        limits === undefined
          ? (args) => this.submit(fn, ...args)
          : (args) => this.submitLimited(fn, args, limits),
      submitChunk: (arity, flatArgs) => this.submitChunk(fn, arity, flatArgs, limits),
    });
  }

  /**
   * `submit` with per-call options: `timeout` ms from the call's start, and `signal`. When either
   * ends the call, its future fails at once (TimeoutError, or the signal's reason), the call's
   * currentSignal() aborts, and a call that does not stop within `endGraceMs` has its worker ended.
   * A signal aborted before the call starts cancels it.
   */
  // Two signatures so that `args` is required exactly when `fn` takes parameters.
  schedule<R>(fn: Callable<[], R>, options?: ScheduleOptions<[]>): Future<Awaited<R>>;
  schedule<A extends unknown[], R>(
    fn: Callable<A, R>,
    options: ScheduleOptions<A> & { args: A },
  ): Future<Awaited<R>>;
  schedule<A extends unknown[], R>(
    fn: Callable<A, R>,
    options?: ScheduleOptions<A>,
  ): Future<Awaited<R>> {
    this.checkSubmit(fn);
    const checked = checkOptions<ScheduleOptions<A>>(
      options,
      'options',
      SCHEDULE_OPTION_KEYS,
      'schedule()',
    );
    const args = checkArray(checked.args, 'args') as A;
    const timeout = noLimit(checkTimeout(checked.timeout, 'timeout'));
    const signal = checkAbortSignal(checked.signal, 'signal');
    const transfer =
      checked.transfer === undefined || checked.transfer === null
        ? undefined
        : checkTransferList(checked.transfer, '`transfer`');
    const limits = timeout === undefined && signal === undefined ? undefined : { timeout, signal };
    if (transfer !== undefined && transfer.length > 0)
      return this.submitTransferring(fn, args, limits, transfer);
    if (limits === undefined) return this.submit(fn, ...args);
    return this.submitLimited(fn, args, limits).future;
  }

  /**
   * Stops accepting calls. `cancelFutures` cancels the calls not started; `wait` (default true)
   * resolves once every call is done and every worker has exited. Safe to call more than once.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    let wait: boolean;
    let cancelFutures: boolean;
    try {
      const checked = checkOptions<ShutdownOptions>(
        options,
        'options',
        SHUTDOWN_OPTION_KEYS,
        'shutdown()',
      );
      wait = checkBoolean(checked.wait, 'wait', true);
      cancelFutures = checkBoolean(checked.cancelFutures, 'cancelFutures', false);
    } catch (error) {
      return Promise.reject(error);
    }
    // Shut first, then cancel (as Python): a done callback run by a cancel() must not be able to submit.
    if (!this.#shutdownStarted) {
      this.#shutdownStarted = true;
      // Set before the cancels: a done callback they run may call shutdown() again, and must get
      // this same promise.
      let finish!: (terminated: Promise<void>) => void;
      this.#terminated = new Promise<void>((resolve) => {
        finish = resolve;
      });
      if (cancelFutures) this.cancelPendingCalls();
      finish(this.startShutdown());
    } else if (cancelFutures) this.cancelPendingCalls();
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
      throw new Error(
        `Cannot schedule new calls after shutdown(): this ${this.constructor.name} has been shut down. Create a new executor.`,
      );
    }
  }

  /** The error `submit` throws once the executor is broken (a new instance each time), else undefined. */
  protected brokenError(): Error | undefined {
    return undefined;
  }

  // The three below have defaults, so that a subclass written as in Python (only `submit`) works:
  // its shutdown() resolves at once (Python's base shutdown does nothing), and schedule() with
  // limits says what it lacks.

  /**
   * Begins winding down; the promise resolves once every call is done and every worker has exited.
   * Never rejects. The base has nothing to wind down.
   */
  protected startShutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** Cancels every call that has not started. The base holds no calls. */
  protected cancelPendingCalls(): void {}

  /**
   * For executors: submits a limited call (see `schedule` and src/limits/), and gives back what
   * ends it (map ends its calls through it). The base cannot end a running call.
   */
  protected submitLimited(_fn: Callable, _args: unknown[], _limits: CallLimits): LimitedCall<any> {
    throw new TypeError(
      `${this.constructor.name} cannot end a running call, so it takes no timeout, signal or callTimeout: ` +
        'submit() the call instead, or use an executor of this package (ThreadPoolExecutor, ' +
        'ProcessPoolExecutor, EventLoopExecutor).',
    );
  }

  /**
   * For executors: submits a call whose `transfer` list moves to the worker (see `schedule`). Such
   * a call goes only to a free worker, never handed ahead and never taken back: what it moved
   * cannot be sent again. The base (nothing travels) ignores the list.
   */
  protected submitTransferring(
    fn: Callable,
    args: unknown[],
    limits: CallLimits | undefined,
    _transfer: readonly TransferItem[],
  ): Future<any> {
    return limits === undefined
      ? this.submit(fn, ...args)
      : this.submitLimited(fn, args, limits).future;
  }

  /**
   * Executors that can run several items per message override this: one future whose value is the
   * list of results, or which fails with a `ChunkFailure`. `flatArgs` holds the argument lists back
   * to back, `arity` values each. With `limits`, the chunk is a limited call: what ends it comes
   * back instead of its future. The base runs no chunks.
   */
  protected submitChunk(
    _fn: Callable,
    _arity: number,
    _flatArgs: unknown[],
    _limits: CallLimits | undefined,
  ): Future<unknown[]> | LimitedCall<any> {
    throw new Error('This executor does not run chunks.');
  }
}

/** Infinity is no limit at all. */
function noLimit(timeout: number | undefined): number | undefined {
  return timeout === Infinity ? undefined : timeout;
}

function isIterable(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const candidate = value as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof candidate[Symbol.iterator] === 'function' ||
    typeof candidate[Symbol.asyncIterator] === 'function'
  );
}

function isOptionsObject(value: unknown): value is MapOptions {
  if (typeof value !== 'object' || value === null || isIterable(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
