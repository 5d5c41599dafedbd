// wait() and asCompleted(): waiting on many futures at once, from any executors.

import { TimeoutError } from './errors.js';
import { addWaiter, Future, hasFailed, removeWaiter, type Waiter } from './future.js';
import { checkOptions, checkTimeout, describe, type OptionKeys } from './validate.js';
import { AllCompletedWaiter, AsCompletedWaiter, FirstCompletedWaiter } from './waiters.js';

export const FIRST_COMPLETED = 'FIRST_COMPLETED';
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
export const ALL_COMPLETED = 'ALL_COMPLETED';
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

export interface WaitOptions {
  /** Milliseconds to wait at most; `undefined`/`null`: no limit. On timeout `wait` resolves anyway. */
  timeout?: number | null | undefined;
  /** When to return (default `ALL_COMPLETED`). */
  returnWhen?: ReturnWhen | undefined;
}

export interface DoneAndNotDone<T = any> {
  done: Set<Future<T>>;
  notDone: Set<Future<T>>;
}

const WAIT_OPTION_KEYS: OptionKeys<WaitOptions> = { timeout: true, returnWhen: true };

const RETURN_WHEN = new Set<unknown>([FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED]);

/**
 * Waits for the futures in `fs` (duplicates count once) until `returnWhen` holds or `timeout` ms
 * pass, and resolves with the futures that are done and those that are not. Never rejects on timeout.
 */
// Generic over the futures' own type F, not their result type T: inferring T from
// `Iterable<Future<T>>` refuses futures of different result types (`wait([numbers, strings])`).
export async function wait<F extends Future<any> = Future<any>>(
  fs: Iterable<F>,
  options?: WaitOptions,
): Promise<{ done: Set<F>; notDone: Set<F> }> {
  const { timeout, returnWhen } = checkOptions<WaitOptions>(
    options,
    'options',
    WAIT_OPTION_KEYS,
    'wait()',
  );
  const limit = checkTimeout(timeout, 'timeout');
  const when = returnWhen ?? ALL_COMPLETED;
  if (!RETURN_WHEN.has(when)) {
    throw new RangeError(
      `Expected \`returnWhen\` to be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got ${describe(when)}.`,
    );
  }
  const futures = collectFutures(fs, 'fs');

  let notDoneCount = 0;
  let anyFailed = false;
  for (const future of futures) {
    if (!future.done()) notDoneCount++;
    else if (hasFailed(future)) anyFailed = true;
  }
  const satisfied =
    notDoneCount === 0 ||
    (when === FIRST_COMPLETED && notDoneCount < futures.size) ||
    (when === FIRST_EXCEPTION && anyFailed);
  if (!satisfied && limit !== 0) {
    const waiter =
      when === FIRST_COMPLETED
        ? new FirstCompletedWaiter()
        : new AllCompletedWaiter(notDoneCount, when === FIRST_EXCEPTION);
    await waitWithWaiter(futures, waiter, waiter.ready, limit);
  }
  return partition(futures);
}

export interface AsCompletedOptions {
  /** Milliseconds from the call: past it, the iteration throws `TimeoutError`. */
  timeout?: number | null | undefined;
}

/**
 * Yields each distinct future of `fs` once as it ends: those already done first, then in
 * completion order. Throws `TimeoutError` from the iteration once `timeout` ms (from this call) pass.
 */
// Generic over the futures' own type F, as wait(). The element type is `F & { then: any }`, not
// `F`: TypeScript types the variable of `for await (const f of ...)` as the *awaited* element
// type, and a Future is thenable, so over an `AsyncIterable<Future<T>>` `f` would be typed `T`
// while it is the Future. A `then` of type `any` is the one thing that stops that unwrapping; at
// run time nothing differs.
export function asCompleted<F extends Future<any> = Future<any>>(
  fs: Iterable<F>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<F & { then: any }> {
  const { timeout } = checkOptions<AsCompletedOptions>(
    options,
    'options',
    { timeout: true },
    'asCompleted()',
  );
  const limit = checkTimeout(timeout, 'timeout');
  const futures = collectFutures(fs, 'fs');
  const deadline = limit === undefined ? undefined : performance.now() + limit;
  return new AsCompletedIterator(futures, deadline) as AsyncIterableIterator<F & { then: any }>;
}

/**
 * An iteration dropped before its end (`await asCompleted(fs).next()` for the first one done) never
 * reaches #finish(); its waiter would stay on every future still pending, one more per such call.
 * Once the iterator is collected its waiter leaves them, as Python's generator does when collected.
 * The held value must not reach the iterator, or it would never be collected.
 */
const abandoned = new FinalizationRegistry<{ waiter: Waiter; pending: Set<Future<any>> }>(
  ({ waiter, pending }) => {
    for (const future of pending) removeWaiter(future, waiter);
  },
);

// A hand-written iterator, not an async generator: an async generator awaits what it yields, and
// a Future is thenable, so `yield future` would hand out the future's result instead of the future.
class AsCompletedIterator implements AsyncIterableIterator<Future<any>> {
  readonly #pending = new Set<Future<any>>();
  #ready: Future<any>[] = [];
  #readyHead = 0; // an index, not shift(): shifting a long array at each step would cost O(n²)
  readonly #total: number;
  readonly #deadline: number | undefined;
  readonly #waiter = new AsCompletedWaiter();
  #started = false;
  #finished = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(futures: Set<Future<any>>, deadline: number | undefined) {
    this.#total = futures.size;
    this.#deadline = deadline;
    for (const future of futures) this.#pending.add(future);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Future<any>>> {
    // Steps run one after another even if the caller does not await each one.
    const step = this.#queue.then(() => this.#step());
    this.#queue = step.catch(() => undefined);
    return step;
  }

  return(): Promise<IteratorResult<Future<any>>> {
    this.#finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  async #step(): Promise<IteratorResult<Future<any>>> {
    if (this.#finished) return { done: true, value: undefined };
    if (!this.#started) this.#start();
    try {
      for (;;) {
        if (this.#readyHead < this.#ready.length)
          return { done: false, value: this.#ready[this.#readyHead++]! };
        this.#ready = [];
        this.#readyHead = 0;
        for (const future of this.#waiter.take()) {
          if (this.#pending.delete(future)) this.#ready.push(future);
        }
        if (this.#ready.length > 0) continue;
        if (this.#pending.size === 0) {
          this.#finish();
          return { done: true, value: undefined };
        }
        const remaining =
          this.#deadline === undefined ? undefined : this.#deadline - performance.now();
        if (remaining !== undefined && remaining <= 0) throw this.#timeoutError();
        const woke = await sleepUntil(this.#waiter.whenAny(), remaining);
        if (this.#finished) return { done: true, value: undefined }; // return() closed it meanwhile
        if (!woke) throw this.#timeoutError();
      }
    } catch (error) {
      this.#finish();
      throw error;
    }
  }

  /** At the first step (as Python's generator): the futures already done go first. */
  #start(): void {
    this.#started = true;
    for (const future of this.#pending) {
      if (future.done()) this.#ready.push(future);
    }
    for (const future of this.#ready) this.#pending.delete(future);
    for (const future of this.#pending) addWaiter(future, this.#waiter);
    if (this.#pending.size > 0)
      abandoned.register(this, { waiter: this.#waiter, pending: this.#pending }, this);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    abandoned.unregister(this);
    for (const future of this.#pending) removeWaiter(future, this.#waiter);
    this.#pending.clear();
    this.#ready = [];
    this.#waiter.interrupt(); // a step asleep in whenAny() would otherwise never wake
  }

  #timeoutError(): TimeoutError {
    return new TimeoutError(
      `asCompleted(): ${this.#pending.size} (of ${this.#total}) futures unfinished when the timeout passed.`,
    );
  }
}

function collectFutures<F extends Future<any>>(fs: Iterable<F>, name: string): Set<F> {
  if (
    fs === null ||
    fs === undefined ||
    typeof (fs as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`Expected \`${name}\` to be an iterable of futures, got ${describe(fs)}.`);
  }
  if ((fs as unknown) instanceof Map) throw new TypeError(mapGiven(name));
  const futures = new Set<F>();
  for (const future of fs) {
    if (!(future instanceof Future)) {
      throw new TypeError(
        Array.isArray(future) && (future as unknown[])[0] instanceof Future
          ? mapGiven(name)
          : `Expected every element of \`${name}\` to be a Future, got ${describe(future)}.`,
      );
    }
    futures.add(future);
  }
  return futures;
}

/** Python's `as_completed(future_to_url)` iterates the dict's keys; a Map iterates [key, value] pairs. */
function mapGiven(name: string): string {
  return (
    `Expected \`${name}\` to be an iterable of futures, got a Map (or its entries): iterating a Map gives ` +
    `[key, value] pairs, not its keys as a Python dict does. Pass map.keys().`
  );
}

function partition<F extends Future<any>>(futures: Set<F>): { done: Set<F>; notDone: Set<F> } {
  const done = new Set<F>();
  const notDone = new Set<F>();
  for (const future of futures) (future.done() ? done : notDone).add(future);
  return { done, notDone };
}

async function waitWithWaiter(
  futures: Set<Future<any>>,
  waiter: Waiter,
  ready: Promise<void>,
  limit: number | undefined,
): Promise<void> {
  for (const future of futures) if (!future.done()) addWaiter(future, waiter);
  try {
    await sleepUntil(ready, limit);
  } finally {
    for (const future of futures) removeWaiter(future, waiter);
  }
}

/** Resolves true when `ready` resolves, false if `limit` ms pass first (no timer when no limit). */
function sleepUntil(ready: Promise<void>, limit: number | undefined): Promise<boolean> {
  if (limit === undefined || limit === Infinity) return ready.then(() => true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), limit);
    ready.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
