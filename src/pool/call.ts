// One submitted call (or one chunk of calls, for map) on its way from submit() to its future.

import type { CallLimits } from '../executor.js';
import { Future, type RemoteStart } from '../future.js';
import type { CallableDef } from '../protocol/messages.js';
import type { PoolWorker } from './pool-worker.js';

export class Call implements RemoteStart {
  /** The worker it was handed to, and its sequence number there. */
  worker: PoolWorker | undefined = undefined;
  seq = 0;
  /** A limited call's one timer: its deadline once started, then the grace before its worker is ended. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Handed back by a process that had not started it: it is RUNNING already, and stays so. */
  handedBack = false;

  constructor(
    readonly future: Future<any>,
    readonly def: CallableDef,
    /** The argument list, or for a chunk `[arity, flatArgs]` (see map.ts). */
    readonly payload: unknown[],
    readonly chunk: boolean,
    /** A time limit or a signal: it travels first in a message of its own (see PoolExecutor). */
    readonly limits: CallLimits | undefined,
  ) {}

  hasStarted(): boolean {
    return this.worker!.hasStarted(this.seq);
  }

  preventStart(): boolean {
    return this.worker!.preventStart(this.seq, false);
  }
}

/**
 * Stands in a worker's inFlight for a call the pool took back from it (threads): the worker will
 * report it skipped, in its place in the sequence, while the call itself runs elsewhere. Its future
 * is finished, so every loop over inFlight passes it by.
 */
export const TAKEN_BACK: Call = new Call(
  new Future<unknown>(),
  { id: -1, kind: 'source', name: 'takenBack', source: '' },
  [],
  false,
  undefined,
);
TAKEN_BACK.future.setResult(undefined);
