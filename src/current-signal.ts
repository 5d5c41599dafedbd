// currentSignal(): the AbortSignal of the call that is running, wherever it runs.
//
// - On the calling thread (EventLoopExecutor) several calls run at once, so the signal of a call
//   with limits (a timeout, a signal) follows it through its awaits in an AsyncLocalStorage. On
//   Node 20 an AsyncLocalStorage in use taxes every promise of the process (promise hooks), so
//   plain calls, whose signal never aborts, skip it until some limited call has turned it on:
//   until then, while a plain call runs on this thread, currentSignal() gives a signal that never
//   aborts (which is that call's). So does other async code that happens to run meanwhile: exactness
//   there would tax every promise. Code known to be outside calls (done callbacks, the synchronous
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

const callSignals = new AsyncLocalStorage<SignalSource>();
const NEVER_ABORTED: SignalSource = { signal: new AbortController().signal };
let storageInUse = false; // a limited call has run here: from then on every call uses the storage
let plainCallsRunning = 0;
// > 0 while code runs that is known to be outside every call (a done callback, the synchronous part
// of an initializer): currentSignal() must throw there even while plain calls are in flight.
let outsideDepth = 0;
let workerCallSignal: (() => AbortSignal | undefined) | undefined;

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
      : outsideDepth > 0
        ? undefined
        : (workerCallSignal?.() ?? (plainCallsRunning > 0 ? NEVER_ABORTED.signal : undefined));
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
  if (outsideDepth !== 0) return runCallFromOutside(source, fn, args);
  if (source !== undefined) {
    storageInUse = true;
    return callSignals.run(source, fn, ...args);
  }
  return storageInUse ? callSignals.run(NEVER_ABORTED, fn, ...args) : fn(...args);
}

/** Rare: a call started synchronously from code outside calls (a done callback). It is a call again. */
function runCallFromOutside<R>(
  source: SignalSource | undefined,
  fn: (...args: any[]) => R,
  args: unknown[],
): R {
  const depth = outsideDepth;
  outsideDepth = 0;
  try {
    return runCall(source, fn, args);
  } finally {
    outsideDepth = depth;
  }
}

/**
 * A plain call starts: counted only while the storage is off (once it is on, plain calls run inside
 * it and currentSignal() is exact). Returns whether it was counted, for `plainCallEnded`.
 */
export function plainCallStarted(): boolean {
  if (storageInUse) return false;
  plainCallsRunning++;
  return true;
}

export function plainCallEnded(counted: boolean): void {
  if (counted) plainCallsRunning--;
}

/**
 * Runs `fn(arg)` outside any call's context: a done callback, where currentSignal() must throw,
 * and a timer an executor arms while some call runs, which would otherwise keep that call's
 * context (and run its callback there).
 */
export function outsideCalls<A, R>(fn: (arg: A) => R, arg: A): R {
  outsideDepth++;
  try {
    return storageInUse ? callSignals.exit(fn, arg) : fn(arg);
  } finally {
    outsideDepth--;
  }
}

/** For the worker runtime: how to find the running call's signal (undefined between calls). */
export function setWorkerCallSignal(source: () => AbortSignal | undefined): void {
  workerCallSignal = source;
}
