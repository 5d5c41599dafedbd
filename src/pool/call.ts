// One submitted call (or one chunk of calls, for map) on its way from submit() to its future.

import type { CallLimits } from '../executor.js';
import type { Future, RemoteStart } from '../future.js';
import type { CallableDef } from '../protocol/messages.js';
import type { PoolWorker } from './pool-worker.js';

export class Call implements RemoteStart {
  /** The worker it was handed to, and its sequence number there. */
  worker: PoolWorker | undefined = undefined;
  seq = 0;

  constructor(
    readonly future: Future<any>,
    readonly def: CallableDef,
    /** The argument list, or for a chunk `[arity, flatArgs]` (see map.ts). */
    readonly payload: unknown[],
    readonly chunk: boolean,
    /** A time limit or a signal: the call travels alone, to a free worker (see PoolExecutor). */
    readonly limits: CallLimits | undefined,
  ) {}

  hasStarted(): boolean {
    return this.worker!.hasStarted(this.seq);
  }

  preventStart(): boolean {
    return this.worker!.preventStart(this.seq, false);
  }
}
