// currentSignal(): the AbortSignal of the call that is running, wherever it runs.
//
// - On the calling thread (EventLoopExecutor) several calls run at once, so the signal follows
//   each call through its awaits in an AsyncLocalStorage.
// - Inside a worker thread or a child process the worker runtime runs one call at a time, so the
//   runtime names the running call directly: no AsyncLocalStorage, whose promise hooks would tax
//   every call of every worker. The runtime creates the call's AbortController only when the call
//   first asks for its signal.

import { AsyncLocalStorage } from 'node:async_hooks';

const callSignals = new AsyncLocalStorage<AbortSignal>();
let workerCallSignal: (() => AbortSignal | undefined) | undefined;

/**
 * The `AbortSignal` of the running call: it aborts when the call's timeout passes or its signal
 * aborts, so code that passes it on (`fetch(url, { signal: currentSignal() })`) stops by itself.
 * Throws outside a running call (top level, an initializer, a done callback).
 */
export function currentSignal(): AbortSignal {
  const signal = callSignals.getStore() ?? workerCallSignal?.();
  if (signal === undefined) {
    throw new Error(
      'currentSignal() was called outside a running call. Call it inside a function run by an executor ' +
        '(submit, schedule or map), not at top level, in an initializer or in a done callback.',
    );
  }
  return signal;
}

/** For executors that run calls on this thread: runs `fn(...args)` with `signal` as its currentSignal(). */
export function runWithSignal<R>(signal: AbortSignal, fn: (...args: any[]) => R, args: unknown[]): R {
  return callSignals.run(signal, fn, ...args);
}

/** For the worker runtime: how to find the running call's signal (undefined between calls). */
export function setWorkerCallSignal(source: () => AbortSignal | undefined): void {
  workerCallSignal = source;
}
