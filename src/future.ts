// Future: the eventual outcome of one call, on an explicit state machine (as CPython's _base.py):
//
//   PENDING ──setRunningOrNotifyCancel()──▶ RUNNING ──setResult()/setException()──▶ FINISHED
//      │  ╲______________________________________________setResult()/setException()_▲
//      └──cancel()──▶ CANCELLED ──setRunningOrNotifyCancel()──▶ CANCELLED_AND_NOTIFIED
//
// Users see cancel/result/exception/addDoneCallback and `await`. Executors alone call the methods
// marked "For executors". Waiting (wait, asCompleted, result with a timeout) goes through Waiters
// that a future notifies when it ends, so no one polls.

import { outsideCalls } from './current-signal.js';
import { CancelledError, InvalidStateError, TimeoutError } from './errors.js';
import { checkTimeout } from './validate.js';
import { setImmediate } from './timers.js';

export type FutureState =
  'PENDING' | 'RUNNING' | 'CANCELLED' | 'CANCELLED_AND_NOTIFIED' | 'FINISHED';

/** Something waiting for futures to end (see waiters.ts). Internal. */
export interface Waiter {
  addResult(future: Future<unknown>): void;
  addException(future: Future<unknown>): void;
  addCancelled(future: Future<unknown>): void;
}

/**
 * For executors that hand a call to a worker before the worker starts it (internal). Lets
 * `cancel()` and `running()` answer exactly, synchronously, while the call sits in a worker's queue.
 */
export interface RemoteStart {
  /** True once the worker has started the call. */
  hasStarted(): boolean;
  /** Tries to stop the worker from ever starting the call: true if that worked, false if it already started. */
  preventStart(): boolean;
}

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
// Every copy of this package loaded in one process (the ESM and CommonJS builds, a second
// install) has its own Future class; they mark their futures with one registered symbol, so that
// `instanceof Future`, and with it wait() and asCompleted(), accept a future of any copy.
const FUTURE_BRAND = Symbol.for('concurrent-futures.Future');

interface FutureInternals {
  setRemoteStart(future: Future<any>, remote: RemoteStart | undefined): void;
  addWaiter(future: Future<any>, waiter: Waiter): void;
  removeWaiter(future: Future<any>, waiter: Waiter): void;
  waiterCount(future: Future<any>): number;
  hasFailed(future: Future<any>): boolean;
  /** Logs a callback's error that could not be printed where it was thrown (see printLater). */
  logCallbackError(future: Future<any>, error: unknown): void;
}
let internals: FutureInternals;

/** True for a future of any copy of this package (what `instanceof Future` checks). */
export function isFuture(value: unknown): value is Future<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [FUTURE_BRAND]?: unknown })[FUTURE_BRAND] === true
  );
}

export class Future<T = unknown> implements PromiseLike<T> {
  /** True for a future of any copy of this package; a subclass keeps the usual prototype check. */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== Future) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isFuture(value);
  }

  #state: FutureState = 'PENDING';
  #value: T | undefined = undefined;
  #error: unknown = undefined;
  #failed = false;
  // The two function-typed fields below take `any` where T belongs on purpose: a field whose type is
  // a function of T makes Future invariant in T, and then a Future<number> is not a Future<unknown>,
  // so `wait([numberFuture, stringFuture])` would not type-check. `addDoneCallback` keeps the types.
  #callbacks: Array<(future: any) => void> | undefined = undefined;
  // Most futures have at most one waiter (one wait() or asCompleted() over them): held bare, and
  // only a second one makes a Set, so waiting on a million futures does not make a million Sets.
  #waiters: Waiter | Set<Waiter> | undefined = undefined;
  #remote: RemoteStart | undefined = undefined;
  // Created only when someone awaits without a timeout, so a failed future nobody awaits never
  // produces a rejected promise, and so never an `unhandledRejection`.
  #settled: Promise<T> | undefined = undefined;
  #resolveSettled: ((value: any) => void) | undefined = undefined;
  #rejectSettled: ((reason: unknown) => void) | undefined = undefined;

  // ── What users call ─────────────────────────────────────────────────────────────────────

  /**
   * Cancels the call if it has not started: returns true (also when already cancelled). Returns
   * false, changing nothing, once the call runs or has finished.
   */
  cancel(): boolean {
    const state = this.#state;
    if (state === 'CANCELLED' || state === 'CANCELLED_AND_NOTIFIED') return true;
    if (state !== 'PENDING') return false;
    if (this.#remote !== undefined && !this.#remote.preventStart()) {
      // The worker claimed the call first: it is running, whatever the parent has heard so far.
      this.#remote = undefined;
      this.#state = 'RUNNING';
      return false;
    }
    this.#remote = undefined;
    this.#state = 'CANCELLED';
    this.#finish();
    return true;
  }

  cancelled(): boolean {
    return this.#state === 'CANCELLED' || this.#state === 'CANCELLED_AND_NOTIFIED';
  }

  running(): boolean {
    if (this.#state === 'PENDING' && this.#remote?.hasStarted()) {
      this.#remote = undefined;
      this.#state = 'RUNNING';
    }
    return this.#state === 'RUNNING';
  }

  done(): boolean {
    const state = this.#state;
    return state === 'FINISHED' || state === 'CANCELLED' || state === 'CANCELLED_AND_NOTIFIED';
  }

  /** The call's value; rejects with its error, `CancelledError`, or `TimeoutError` after `timeout` ms. */
  result(timeout?: number): Promise<T> {
    return this.#outcome(timeout, 'result', false) as Promise<T>;
  }

  /** The error the call threw, or `undefined` if it succeeded; rejects as `result()` does otherwise. */
  exception(timeout?: number): Promise<unknown> {
    return this.#outcome(timeout, 'exception', true);
  }

  /**
   * Runs `fn(future)` when the future ends, in the order added, synchronously inside the call that
   * ends it; at once if it has ended. A callback's error is printed to stderr, never thrown.
   */
  addDoneCallback(fn: (future: Future<T>) => void): void {
    if (typeof fn !== 'function') {
      throw new TypeError(`Expected the done callback to be a function, got ${typeof fn}.`);
    }
    if (this.done()) {
      this.#runCallback(fn);
      return;
    }
    (this.#callbacks ??= []).push(fn);
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.result().then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.result().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.result().finally(onFinally);
  }

  get [Symbol.toStringTag](): string {
    return 'Future';
  }

  toString(): string {
    return `Future<${this.#describeState()}>`;
  }

  [inspectCustom](): string {
    return this.toString();
  }

  // ── For executors ───────────────────────────────────────────────────────────────────────

  /**
   * For executors, just before the call starts. PENDING → RUNNING: true. CANCELLED → marks it
   * notified: false (skip the call). Any other state: `InvalidStateError`.
   */
  setRunningOrNotifyCancel(): boolean {
    const state = this.#state;
    if (state === 'PENDING') {
      this.#remote = undefined;
      this.#state = 'RUNNING';
      return true;
    }
    if (state === 'CANCELLED') {
      this.#state = 'CANCELLED_AND_NOTIFIED';
      return false;
    }
    throw new InvalidStateError(
      state === 'CANCELLED_AND_NOTIFIED'
        ? `setRunningOrNotifyCancel() called on ${this} whose cancellation was notified already: it is called once per future, by its executor.`
        : `setRunningOrNotifyCancel() called on ${this}: only a pending or cancelled future allows it.`,
    );
  }

  /** For executors: finishes the future with `value` and runs its callbacks. */
  setResult(value: T): void {
    this.#assertUnfinished('setResult');
    this.#remote = undefined;
    this.#value = value;
    this.#state = 'FINISHED';
    this.#finish();
  }

  /** For executors: finishes the future with `error` and runs its callbacks. */
  setException(error: unknown): void {
    this.#assertUnfinished('setException');
    this.#remote = undefined;
    this.#error = error;
    this.#failed = true;
    this.#state = 'FINISHED';
    this.#finish();
  }

  /** The current state, for executors and diagnostics. */
  get state(): FutureState {
    if (this.#state === 'PENDING' && this.#remote?.hasStarted()) this.running();
    return this.#state;
  }

  // What executors and wait() need of a future stays off its public type, so that a user's editor
  // shows Python's API and nothing else: functions of this module (below the class), bound here
  // to the private fields.
  static {
    internals = {
      setRemoteStart(future, remote) {
        future.#remote = remote;
      },
      addWaiter(future, waiter) {
        const waiters = future.#waiters;
        if (waiters === undefined) future.#waiters = waiter;
        else if (waiters instanceof Set) waiters.add(waiter);
        else if (waiters !== waiter) future.#waiters = new Set([waiters, waiter]);
      },
      removeWaiter(future, waiter) {
        const waiters = future.#waiters;
        if (waiters === waiter) future.#waiters = undefined;
        else if (waiters instanceof Set) waiters.delete(waiter);
      },
      waiterCount(future) {
        const waiters = future.#waiters;
        return waiters === undefined ? 0 : waiters instanceof Set ? waiters.size : 1;
      },
      hasFailed: (future) => future.#failed,
      logCallbackError: (future, error) => future.#logCallbackError(error, true),
    };
  }

  // ── Private ─────────────────────────────────────────────────────────────────────────────

  #assertUnfinished(method: string): void {
    const state = this.#state;
    if (state === 'FINISHED' || state === 'CANCELLED' || state === 'CANCELLED_AND_NOTIFIED') {
      throw new InvalidStateError(`${method}() called on ${this}: a future can end only once.`);
    }
  }

  #finish(): void {
    const waiters = this.#waiters;
    if (waiters !== undefined) {
      this.#waiters = undefined;
      if (waiters instanceof Set) for (const waiter of waiters) this.#notify(waiter);
      else this.#notify(waiters);
    }
    if (this.#settled !== undefined) this.#settle();
    const callbacks = this.#callbacks;
    if (callbacks !== undefined) {
      this.#callbacks = undefined;
      for (const fn of callbacks) this.#runCallback(fn);
      if (unprinted.length > 0) printLater();
    }
  }

  #notify(waiter: Waiter): void {
    if (this.#state !== 'FINISHED') waiter.addCancelled(this as Future<unknown>);
    else if (this.#failed) waiter.addException(this as Future<unknown>);
    else waiter.addResult(this as Future<unknown>);
  }

  #settle(): void {
    if (this.#state !== 'FINISHED') this.#rejectSettled!(new CancelledError());
    else if (this.#failed) this.#rejectSettled!(this.#error);
    else this.#resolveSettled!(this.#value as T);
  }

  #runCallback(fn: (future: Future<T>) => void): void {
    try {
      // A done callback is outside any call, even when the call that settled this future ran it.
      const returned: unknown = outsideCalls(fn, this);
      // An async callback fails later, by rejecting: logged the same way, never an unhandled
      // rejection that would end the process.
      if (returned instanceof Promise)
        returned.then(undefined, (error) => this.#logCallbackError(error));
    } catch (error) {
      this.#logCallbackError(error);
      if (unprinted.length > 0) printLater(); // tried here too: a done future's addDoneCallback has no #finish above
    }
  }

  /** As Python logs it: the executor must not be disturbed by a user's callback. */
  #logCallbackError(error: unknown, deferred = false): void {
    try {
      console.error(`exception calling callback for ${this}:`, error);
    } catch {
      // A console.error that throws (a test setup that fails on it) or an error whose inspection
      // throws: had it escaped, it would have failed the executor's own bookkeeping, as Python's
      // logging never does. A callback that overflowed the stack (futures settling each other in a
      // long chain) leaves too little stack to print its RangeError here: it is printed once the
      // stack has unwound.
      if (!deferred && error instanceof RangeError) {
        // No call here (each would overflow too): kept, and printed later from a shallower frame
        // (the first #finish or #runCallback up the stack that can schedule it).
        unprinted[unprinted.length] = [this, error];
        return;
      }
      try {
        process.stderr.write(`exception calling callback for ${this} (it could not be printed)\n`);
      } catch {
        // Nowhere left to say it.
      }
    }
  }

  #outcome(timeout: unknown, method: string, asException: boolean): Promise<unknown> {
    let limit: number | undefined;
    try {
      limit = checkTimeout(timeout, 'timeout');
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.done()) {
      try {
        return Promise.resolve(this.#read(asException));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // A timeout of 0 asks whether it is done now, as Python's result(timeout=0): no timer, so a
    // future that settles within the next millisecond is not waited for.
    if (limit !== undefined && limit <= 0) return Promise.reject(this.#timeoutError(method, limit));
    if (limit === undefined || limit === Infinity) {
      if (this.#settled === undefined) {
        this.#settled = new Promise<T>((resolve, reject) => {
          this.#resolveSettled = resolve;
          this.#rejectSettled = reject;
        });
      }
      if (!asException) return this.#settled;
      return this.#settled.then(
        () => undefined,
        () => this.#read(true),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        addResult: () => settle(),
        addException: () => settle(),
        addCancelled: () => settle(),
      };
      const settle = (): void => {
        clearTimeout(timer);
        try {
          resolve(this.#read(asException));
        } catch (error) {
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        internals.removeWaiter(this, waiter);
        reject(this.#timeoutError(method, limit));
      }, limit);
      internals.addWaiter(this, waiter);
    });
  }

  #timeoutError(method: string, limit: number): TimeoutError {
    const error = new TimeoutError(
      `${method}(${limit}) on ${this}: the future did not finish within ${limit} ms.`,
    );
    waitTimeouts.add(error);
    return error;
  }

  /** The outcome of a done future: its value (or error, for `exception()`); throws what `result()` rejects with. */
  #read(asException: boolean): unknown {
    if (this.#state !== 'FINISHED') throw new CancelledError();
    if (asException) return this.#failed ? this.#error : undefined;
    if (this.#failed) throw this.#error;
    return this.#value;
  }

  #describeState(): string {
    switch (this.#state) {
      case 'PENDING':
        return this.running() ? 'running' : 'pending';
      case 'RUNNING':
        return 'running';
      case 'CANCELLED':
      case 'CANCELLED_AND_NOTIFIED':
        return 'cancelled';
      case 'FINISHED':
        return this.#failed
          ? `finished raised ${errorName(this.#error)}`
          : `finished returned ${typeName(this.#value)}`;
    }
  }
}

// toString() describes whatever a call returned or threw: it must not throw itself (a getter, a
// Proxy, a parsed `{"constructor": …}`), or logging a callback's error would fail in turn.

// Errors of done callbacks that overflowed the stack, with their futures: printing them needs
// stack, so it waits until a frame nearer the top can schedule it (the first that has room).
const unprinted: Array<[Future<any>, unknown]> = [];
let printScheduled = false;

function printLater(): void {
  if (printScheduled) return;
  try {
    setImmediate(() => {
      printScheduled = false;
      // Through the guarded logger: a console.error that throws must not become an uncaught error.
      for (const [future, error] of unprinted.splice(0)) internals.logCallbackError(future, error);
    });
    printScheduled = true;
  } catch {
    // Still too deep: a frame further up tries again.
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  try {
    const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'Object';
  } catch {
    return 'Object';
  }
}

function errorName(error: unknown): string {
  try {
    if (error instanceof Error) {
      const name: unknown = error.name;
      return typeof name === 'string' ? name : 'Error';
    }
  } catch {
    return 'Error';
  }
  return typeName(error);
}

Object.defineProperty(Future.prototype, FUTURE_BRAND, { value: true });

/** For executors that hand calls ahead to workers; see `RemoteStart`. */
export const setRemoteStart = internals!.setRemoteStart;

// wait() and asCompleted() of one copy of this package wait on futures of any copy (see
// FUTURE_BRAND), and a private field can be read only by its own copy's class. So what they call on
// a future is also reachable through registered symbols, one per process, on the prototype: never
// a name in Future's public type.
const ADD_WAITER = Symbol.for('concurrent-futures.Future.addWaiter');
const REMOVE_WAITER = Symbol.for('concurrent-futures.Future.removeWaiter');
const WAITER_COUNT = Symbol.for('concurrent-futures.Future.waiterCount');
const HAS_FAILED = Symbol.for('concurrent-futures.Future.hasFailed');
interface CrossCopyMembers {
  [ADD_WAITER](waiter: Waiter): void;
  [REMOVE_WAITER](waiter: Waiter): void;
  [WAITER_COUNT](): number;
  [HAS_FAILED](): boolean;
}
{
  const members = internals!;
  for (const [key, method] of [
    [ADD_WAITER, members.addWaiter],
    [REMOVE_WAITER, members.removeWaiter],
    [WAITER_COUNT, members.waiterCount],
    [HAS_FAILED, members.hasFailed],
  ] as const) {
    Object.defineProperty(Future.prototype, key, {
      value(this: Future<any>, ...args: [Waiter?]) {
        return (method as (future: Future<any>, ...rest: [Waiter?]) => unknown)(this, ...args);
      },
    });
  }
}
const crossCopy = (future: Future<any>): CrossCopyMembers => future as unknown as CrossCopyMembers;

/** Registers a waiter to be told when this future ends (see waiters.ts). */
export const addWaiter = (future: Future<any>, waiter: Waiter): void =>
  crossCopy(future)[ADD_WAITER](waiter);
/** Unregisters a waiter; waiters that stop waiting must call this. */
export const removeWaiter = (future: Future<any>, waiter: Waiter): void =>
  crossCopy(future)[REMOVE_WAITER](waiter);
/** How many waiters are registered (tests check that nothing is left behind). */
export const waiterCount = (future: Future<any>): number => crossCopy(future)[WAITER_COUNT]();
/** Whether the future finished with an error (false while not finished). */
export const hasFailed = (future: Future<any>): boolean => crossCopy(future)[HAS_FAILED]();

/** The TimeoutErrors of result() / exception() waits that ran out, told from a call's own. */
const waitTimeouts = new WeakSet<TimeoutError>();

/** For map(): whether `error` is a wait on a future that ran out, not the call's own error. */
export function isWaitTimeout(error: unknown): boolean {
  return error instanceof TimeoutError && waitTimeouts.has(error);
}
