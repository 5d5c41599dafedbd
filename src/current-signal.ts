// currentSignal(): the AbortSignal of the call that is running, wherever it runs.
//
// - On the calling thread (EventLoopExecutor) several calls run at once, so the signal of a call
//   with limits (a timeout, a signal) follows it through its awaits in an AsyncLocalStorage. On
//   Node 20 an AsyncLocalStorage in use taxes every promise of the process (promise hooks), so
//   plain calls, whose signal never aborts, skip it until some limited call has turned it on:
//   until then, while a plain call runs on this thread, currentSignal() gives a signal that never
//   aborts (which is that call's). So does other async code that happens to run meanwhile: exactness
//   there would tax every promise. That one signal is every plain call's, for the life of the
//   process, so it keeps no 'abort' listener (none could ever run): one that each call added
//   stayed for ever, with all it held. Code known to be outside calls (done callbacks, the synchronous
//   part of an initializer) is marked, and there currentSignal() throws as it should.
// - Inside a worker thread or a child process the worker runtime runs one call at a time, so the
//   runtime names the running call directly: no AsyncLocalStorage, whose promise hooks would tax
//   every call of every worker. The runtime creates the call's AbortController only when the call
//   first asks for its signal.

import { AsyncLocalStorage } from 'node:async_hooks';

/** What a running call's signal comes from: made on first use, since most calls never ask. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/**
 * The state behind currentSignal(), one per process. Every copy of this module loaded in the
 * process (the ESM and CommonJS builds: an ES module app may call a CommonJS module function,
 * whose `require('concurrent-futures')` gets the other build) shares it through a registered
 * symbol, so that currentSignal() finds the running call whichever copy runs the call and whichever
 * copy the call asks.
 */
interface SignalState {
  readonly callSignals: AsyncLocalStorage<SignalSource>;
  readonly neverAborted: SignalSource;
  /** A limited call has run here: from then on every call uses the storage. */
  storageInUse: boolean;
  plainCallsRunning: number;
  /**
   * > 0 while code runs that is known to be outside every call (a done callback, the synchronous
   * part of an initializer): currentSignal() must throw there even while plain calls are in flight.
   */
  outsideDepth: number;
  /** Set by the worker runtime: the running call's signal (undefined between calls). */
  workerCallSignal: (() => AbortSignal | undefined) | undefined;
}

const STATE_KEY = Symbol.for('concurrent-futures.currentSignal.v1');
const state: SignalState = ((globalThis as { [STATE_KEY]?: SignalState })[STATE_KEY] ??= {
  callSignals: new AsyncLocalStorage<SignalSource>(),
  neverAborted: { signal: listenerlessSignal() },
  storageInUse: false,
  plainCallsRunning: 0,
  outsideDepth: 0,
  workerCallSignal: undefined,
});
/**
 * A signal that never aborts and keeps no 'abort' listener: adding one is accepted and dropped,
 * which nothing can tell apart from keeping it (it would never run) but getEventListeners().
 * Still a real AbortSignal, so that fetch() and the rest take it.
 */
function listenerlessSignal(): AbortSignal {
  const signal = new AbortController().signal;
  const addEventListener = EventTarget.prototype.addEventListener;
  Object.defineProperty(signal, 'addEventListener', {
    value(this: AbortSignal, type: string, ...rest: unknown[]): void {
      if (type === 'abort') return;
      Reflect.apply(addEventListener, this, [type, ...rest]);
    },
  });
  return signal;
}

const { callSignals } = state;
const NEVER_ABORTED = state.neverAborted;

/**
 * The `AbortSignal` of the running call: it aborts when the call's timeout passes or its signal
 * aborts, so code that passes it on (`fetch(url, { signal: currentSignal() })`) stops by itself.
 * Throws outside a running call (top level, an initializer, a done callback).
 */
export function currentSignal(): AbortSignal {
  const store = callSignals.getStore();
  const signal =
    store !== undefined
      ? store.signal
      : state.outsideDepth > 0
        ? undefined
        : (state.workerCallSignal?.() ??
          (state.plainCallsRunning > 0 ? NEVER_ABORTED.signal : undefined));
  if (signal === undefined) {
    throw new Error(
      'currentSignal() was called outside a running call. Call it inside a function run by an executor ' +
        '(submit, schedule or map), not at top level, in an initializer or in a done callback.',
    );
  }
  return signal;
}

/**
 * For executors that run calls on this thread: runs `fn(...args)` as a call whose currentSignal()
 * comes from `source` (a limited call), or as a plain call (`source` undefined), which the caller
 * brackets with `plainCallStarted()` / `plainCallEnded()`.
 */
export function runCall<R>(
  source: SignalSource | undefined,
  fn: (...args: any[]) => R,
  args: unknown[],
): R {
  if (state.outsideDepth !== 0) return runCallFromOutside(source, fn, args);
  if (source !== undefined) {
    state.storageInUse = true;
    return callSignals.run(source, fn, ...args);
  }
  return state.storageInUse ? callSignals.run(NEVER_ABORTED, fn, ...args) : fn(...args);
}

/** Rare: a call started synchronously from code outside calls (a done callback). It is a call again. */
function runCallFromOutside<R>(
  source: SignalSource | undefined,
  fn: (...args: any[]) => R,
  args: unknown[],
): R {
  const depth = state.outsideDepth;
  state.outsideDepth = 0;
  try {
    return runCall(source, fn, args);
  } finally {
    state.outsideDepth = depth;
  }
}

/**
 * A plain call starts: counted only while the storage is off (once it is on, plain calls run inside
 * it and currentSignal() is exact). Returns whether it was counted, for `plainCallEnded`.
 */
export function plainCallStarted(): boolean {
  if (state.storageInUse) return false;
  state.plainCallsRunning++;
  return true;
}

export function plainCallEnded(counted: boolean): void {
  if (counted) state.plainCallsRunning--;
}

/**
 * Runs `fn(arg)` outside any call's context: a done callback, where currentSignal() must throw,
 * and a timer an executor arms while some call runs, which would otherwise keep that call's
 * context (and run its callback there).
 */
export function outsideCalls<A, R>(fn: (arg: A) => R, arg: A): R {
  state.outsideDepth++;
  try {
    return state.storageInUse ? callSignals.exit(fn, arg) : fn(arg);
  } finally {
    state.outsideDepth--;
  }
}

/**
 * True inside `outsideCalls()`: code that is outside every call (a done callback) though a call's
 * synchronous part may be below it on the stack (the call cancelled a future).
 */
export function isOutsideCalls(): boolean {
  return state.outsideDepth !== 0;
}

/** For the worker runtime: how to find the running call's signal (undefined between calls). */
export function setWorkerCallSignal(source: () => AbortSignal | undefined): void {
  state.workerCallSignal = source;
}
