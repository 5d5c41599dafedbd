// What a pool does with its limited calls (see src/limits/): a running call that is ended is
// aborted in its worker, and its worker is ended if the call has not stopped within endGraceMs.
//
//   ended while running (its future fails right after)
//     └─ 'abort' to the worker (its currentSignal() aborts); the worker holds the call alone: it
//        takes no new call meanwhile, and a thread pool takes back the calls it holds unstarted
//        ├─ a process had not started it (still in its initializer): 'willSkip', nothing ended
//        └─ still running after endGraceMs ─▶ worker ended on purpose (no death)
//             thread: terminate(); process: SIGTERM, then SIGKILL after endGraceMs

import type { Future } from '../future.js';
import {
  Limiter,
  type CallLimits,
  type LimitAdapter,
  type LimitedCall,
} from '../limits/limited-call.js';
import { encodeThrown } from '../protocol/errors.js';
import type { Call } from './call.js';
import { defName } from './callable-registry.js';
import type { PoolWorker } from './pool-worker.js';

export class PoolLimits implements LimitAdapter<Call> {
  readonly #endGraceMs: number;
  // Its timer never keeps the process alive: a worker running a limited call is ref'd already.
  readonly #limiter: Limiter<Call> = new Limiter<Call>(this, false);
  /** The pool's: a worker's running limited call is being ended; calls it holds may go elsewhere. */
  readonly #onEnding: (worker: PoolWorker) => void;

  constructor(endGraceMs: number, onEnding: (worker: PoolWorker) => void) {
    this.#endGraceMs = endGraceMs;
    this.#onEnding = onEnding;
  }

  /** Makes `call` a limited call (before it is queued). */
  limit(call: Call, limits: CallLimits): LimitedCall<Call> {
    return (call.limited = this.#limiter.limit(call.future as Future<any>, limits, call));
  }

  /** The worker's limited call `seq` has started: its timeout counts from now. */
  started(worker: PoolWorker, seq: number): void {
    // Results before it were sent before its start: it is at the head of inFlight, or near it.
    let call: Call | undefined;
    for (const held of worker.inFlight) {
      if (held.seq === seq && held.worker === worker) call = held;
      if (held.seq >= seq) break;
    }
    if (call?.limited === undefined || call.future.done()) return;
    call.future.running(); // a thread's call: the start flag says RUNNING now
    call.limited.started();
  }

  /**
   * The worker will skip call `seq`, which was ended before it started: no need to end the worker
   * for it (it still holds the call alone until the skip is reported, in its turn).
   */
  willSkip(worker: PoolWorker, seq: number): void {
    const call = worker.heldAlone;
    if (call !== undefined && call.seq === seq) worker.cancelEndAfterGrace(call);
  }

  nameOf(call: Call): string {
    return defName(call.def);
  }

  hasStarted(call: Call): boolean {
    return call.future.running();
  }

  hasFinished(call: Call): boolean {
    return call.worker !== undefined && call.worker.hasFinished(call.seq);
  }

  stopRunning(call: Call, reason: unknown): void {
    const worker = call.worker;
    if (worker === undefined || worker.life === 'ending' || worker.life === 'exited') return;
    if (!worker.holdAlone(call)) return; // another call of it is being ended
    try {
      worker.post({ t: 'abort', seq: call.seq, reason: encodeThrown(reason, isClonable) });
    } catch {
      // The worker is going away already.
    }
    this.#onEnding(worker);
    if (this.#endGraceMs === Infinity) return;
    worker.endAfterGrace(call, this.#endGraceMs, () => worker.endWithGrace(this.#endGraceMs));
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
