// Limited calls in a pool: a call with a timeout or a signal. A process runs one alone on a free
// worker; a thread pool hands them ahead like any other call (a start flag makes the start exact).
// Each call's one timer serves it: first its deadline (from its start), then the grace after which
// a call that did not stop by itself has its worker ended.
//
//   deadline passes / signal aborts
//     ├─ not started: cancel() wins (a thread's start flag), the call never runs
//     └─ running: future fails at once ─▶ 'abort' to the worker (its currentSignal() aborts)
//                   │   the worker takes no new call meanwhile (`exclusive`), and a thread pool
//                   │   takes back the calls it holds and has not started
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
  /** The pool's: a worker's running limited call is being ended; calls it holds may go elsewhere. */
  readonly #onEnding: (worker: PoolWorker) => void;

  constructor(endGraceMs: number, onEnding: (worker: PoolWorker) => void) {
    this.#endGraceMs = endGraceMs;
    this.#onEnding = onEnding;
  }

  /** A limited call is submitted: watch its signal until it is done. */
  track(call: Call): void {
    const { future } = call;
    this.#calls.set(future, call);
    const signal = call.limits!.signal;
    if (signal !== undefined) this.#signals.watch(signal, call);
    future.addDoneCallback(() => {
      clearTimeout(call.timer); // its deadline (a grace, if any, is armed after this)
      call.timer = undefined;
      this.#calls.delete(future);
      if (signal !== undefined) this.#signals.unwatch(signal, call);
    });
  }

  endByFuture(future: Future<any>, reason: unknown): void {
    const call = this.#calls.get(future);
    if (call !== undefined) this.end(call, reason);
  }

  /** The worker's limited call `seq` has started: its timeout counts from now, on the call's timer. */
  armDeadline(worker: PoolWorker, seq: number): void {
    // Results before it were sent before its start: it is at the head of inFlight, or near it.
    let call: Call | undefined;
    for (const held of worker.inFlight) {
      if (held.seq === seq && held.worker === worker) call = held;
      if (held.seq >= seq) break;
    }
    if (call === undefined || call.limits === undefined || call.future.done()) return;
    call.future.running(); // a thread's call: the start flag says RUNNING now
    const timeout = call.limits!.timeout;
    if (timeout === undefined) return;
    const expire = (): void => {
      call.timer = undefined;
      // Armed at sending, a very short deadline can pass before the thread claims the call: it has
      // not started, so its time has not begun (and cancel() must not turn it into a CancelledError).
      if (!call.future.running() && !call.future.done()) {
        call.timer = setTimeout(expire, timeout);
        return;
      }
      this.end(
        call,
        new TimeoutError(
          `${defName(call.def)} ran past its timeout of ${timeout} ms and was ended.`,
        ),
      );
    };
    call.timer = setTimeout(expire, timeout);
  }

  /**
   * Ends a limited call with `reason`: one not started is cancelled; a running one fails at once,
   * its currentSignal() aborts, and its worker is ended if the call has not settled within endGraceMs.
   */
  end(call: Call, reason: unknown): void {
    const future = call.future;
    if (future.done() || future.cancel()) return;
    const worker = call.worker;
    future.setException(reason); // clears its deadline (see track)
    if (worker === undefined || worker.life === 'ending' || worker.life === 'exited') return;
    if (worker.exclusive !== undefined && worker.exclusive !== call) return; // another is being ended
    worker.exclusive = call; // the worker takes no new call until this one has stopped
    try {
      worker.post({ t: 'abort', seq: call.seq, reason: encodeThrown(reason, isClonable) });
    } catch {
      // The worker is going away already.
    }
    this.#onEnding(worker);
    if (this.#endGraceMs === Infinity) return;
    call.timer = setTimeout(() => {
      call.timer = undefined;
      if (worker.exclusive === call) this.#endWorker(worker);
    }, this.#endGraceMs);
  }

  /** A limited call has reported its result: its timer is idle, and its worker free. */
  release(worker: PoolWorker, call: Call): void {
    clearTimeout(call.timer);
    call.timer = undefined;
    if (worker.exclusive === call) worker.exclusive = undefined;
  }

  /** Ends a worker on purpose: its exit is no death. A process gets SIGTERM, then SIGKILL after endGraceMs. */
  #endWorker(worker: PoolWorker): void {
    worker.advance('ending');
    worker.ref(); // its exit must be seen, so that a fresh worker can take its place
    worker.end('SIGTERM');
    worker.timer = setTimeout(() => {
      worker.timer = undefined;
      if (worker.life !== 'exited') worker.end('SIGKILL');
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
