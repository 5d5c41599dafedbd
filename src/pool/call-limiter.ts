// Limited calls in a pool: a call with a timeout or a signal. Such a call runs alone on its worker
// (the pool core sees to that), so this worker's one timer serves it: first the call's deadline,
// then the grace after which a call that did not stop by itself has its worker ended.
//
//   deadline passes / signal aborts
//     ├─ not started: cancel() wins (a thread's start flag), the call never runs
//     └─ running: future fails at once ─▶ 'abort' to the worker (its currentSignal() aborts)
//                   └─ still running after endGraceMs ─▶ worker ended on purpose (no death)
//                        thread: terminate(); process: SIGTERM, then SIGKILL after endGraceMs

import { TimeoutError } from '../errors.js';
import type { Future } from '../future.js';
import { encodeThrown } from '../protocol/errors.js';
import { SignalWatch } from '../signal-watch.js';
import type { Call } from './call.js';
import { defName } from './callable-registry.js';
import type { PoolWorker } from './pool-worker.js';

export class CallLimiter {
  readonly #endGraceMs: number;
  /** Limited calls not yet done, so that map's signal can end them by their future. */
  readonly #calls = new Map<Future<any>, Call>();
  /** One listener per signal, however many calls share it. */
  readonly #signals = new SignalWatch<Call>((call, reason) => this.end(call, reason));

  constructor(endGraceMs: number) {
    this.#endGraceMs = endGraceMs;
  }

  /** A limited call is submitted: watch its signal until it is done. */
  track(call: Call): void {
    const { future } = call;
    this.#calls.set(future, call);
    const signal = call.limits!.signal;
    if (signal !== undefined) this.#signals.watch(signal, call);
    future.addDoneCallback(() => {
      this.#calls.delete(future);
      if (signal !== undefined) this.#signals.unwatch(signal, call);
    });
  }

  endByFuture(future: Future<any>, reason: unknown): void {
    const call = this.#calls.get(future);
    if (call !== undefined) this.end(call, reason);
  }

  /** The worker's limited call `seq` has started: its timeout counts from now, on the worker's timer. */
  armDeadline(worker: PoolWorker, seq: number): void {
    const call = worker.exclusive;
    if (call === undefined || call.seq !== seq || call.future.done()) return;
    call.future.running(); // a thread's call: the start flag says RUNNING now
    const timeout = call.limits!.timeout;
    if (timeout === undefined) return;
    const expire = (): void => {
      worker.timer = undefined;
      // Armed at sending, a very short deadline can pass before the thread claims the call: it has
      // not started, so its time has not begun (and cancel() must not turn it into a CancelledError).
      if (!call.future.running() && !call.future.done()) {
        worker.timer = setTimeout(expire, timeout);
        return;
      }
      this.end(
        call,
        new TimeoutError(
          `${defName(call.def)} ran past its timeout of ${timeout} ms and was ended.`,
        ),
      );
    };
    worker.timer = setTimeout(expire, timeout);
  }

  /**
   * Ends a limited call with `reason`: one not started is cancelled; a running one fails at once,
   * its currentSignal() aborts, and its worker is ended if the call has not settled within endGraceMs.
   */
  end(call: Call, reason: unknown): void {
    const future = call.future;
    if (future.done() || future.cancel()) return;
    const worker = call.worker;
    future.setException(reason);
    if (worker === undefined || worker.exclusive !== call) return;
    clearTimeout(worker.timer);
    worker.timer = undefined;
    try {
      worker.post({ t: 'abort', seq: call.seq, reason: encodeThrown(reason, isClonable) });
    } catch {
      // The worker is going away already.
    }
    if (this.#endGraceMs === Infinity) return;
    worker.timer = setTimeout(() => {
      worker.timer = undefined;
      if (worker.exclusive === call) this.#endWorker(worker);
    }, this.#endGraceMs);
  }

  /** The worker's limited call has reported its result: the worker is free, its timer idle. */
  release(worker: PoolWorker): void {
    worker.exclusive = undefined;
    if (!worker.ending) {
      clearTimeout(worker.timer);
      worker.timer = undefined;
    }
  }

  /** Ends a worker on purpose: its exit is no death. A process gets SIGTERM, then SIGKILL after endGraceMs. */
  #endWorker(worker: PoolWorker): void {
    worker.ending = true;
    worker.ref(); // its exit must be seen, so that a fresh worker can take its place
    worker.end('SIGTERM');
    worker.timer = setTimeout(() => {
      worker.timer = undefined;
      if (!worker.exited) worker.end('SIGKILL');
    }, this.#endGraceMs);
  }
}

function isClonable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
