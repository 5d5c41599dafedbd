// One submitted call (or one chunk of calls, for map) on its way from submit() to its future.

import { Future, type RemoteStart } from '../future.js';
import type { LimitedCall } from '../limits/limited-call.js';
import type { CallableDef } from '../protocol/messages.js';
import type { PoolWorker } from './pool-worker.js';
import type { TransferItem } from '../transfer.js';

export class Call implements RemoteStart {
  /** The worker it was handed to, and its sequence number there. */
  worker: PoolWorker | undefined = undefined;
  seq = 0;
  /** A limited call's limits (a timeout, a signal): it travels first in a message of its own (see Dispatcher). */
  limited: LimitedCall<Call> | undefined = undefined;
  /** Handed back by a process that had not started it: it is RUNNING already, and stays so. */
  handedBack = false;
  /** A stand-in for a call taken back from this worker (see takenBackStandIn). */
  takenBack = false;
  /** Workers that died holding it before it started (threads): past MAX_LOST_BEFORE_START it fails. */
  lostBeforeStart = 0;
  /** For the stats' wait time: 0 until its first dispatch stamps it, -1 once handed to a worker. */
  queuedAt = 0;
  /** Moved, not copied, to its worker (threads): it goes only to a free worker (see dispatch). */
  transfer: readonly TransferItem[] | undefined = undefined;

  constructor(
    readonly future: Future<any>,
    readonly def: CallableDef,
    /** The argument list, or for a chunk `[arity, flatArgs]` (see map.ts). */
    readonly payload: unknown[],
    readonly chunk: boolean,
  ) {}

  hasStarted(): boolean {
    return this.worker!.hasStarted(this.seq);
  }

  preventStart(): boolean {
    return this.worker!.preventStart(this.seq, false);
  }
}

/** The finished future every stand-in below shares: loops over inFlight pass a done future by. */
const FINISHED = new Future<unknown>();
FINISHED.setResult(undefined);

/**
 * Stands in a worker's inFlight for `call`, which the pool took back from it (threads): the worker
 * will report it skipped, in its place in the sequence, while the call itself runs elsewhere. It
 * keeps the call's sequence number, which matching results by number (`first` of a 'done' message)
 * relies on, and its function, so that it can be sent again if its message was lost (the worker,
 * finding its start flag reclaimed, skips it). Not its arguments: those go with the call. Its
 * future is finished, so every loop over inFlight passes it by.
 */
export function takenBackStandIn(call: Call): Call {
  const standIn = new Call(FINISHED, call.def, [], false);
  standIn.seq = call.seq;
  standIn.takenBack = true;
  return standIn;
}
