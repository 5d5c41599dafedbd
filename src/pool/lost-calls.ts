// Calls whose answer was lost on the way back: the worker's next 'done' message (or its answer to
// a sync barrier) starts past them. Each fails alone, saying why; nothing after it shifts.

import { ChunkFailure } from '../map.js';
import { unreadableResult } from '../protocol/lost.js';
import type { Call } from './call.js';
import type { PoolWorker } from './pool-worker.js';

/**
 * Takes from `worker.inFlight` the calls before sequence number `first` and fails them (a cancelled
 * one is only notified). Returns them, so the caller can release what they held.
 */
export function takeLostCalls(worker: PoolWorker, first: number): Call[] {
  const lost: Call[] = [];
  for (
    let call = worker.inFlight.peek();
    call !== undefined && call.seq < first;
    call = worker.inFlight.peek()
  ) {
    worker.inFlight.shift();
    lost.push(call);
    const future = call.future;
    if (future.done()) {
      if (future.state === 'CANCELLED') future.setRunningOrNotifyCancel();
    } else {
      future.setException(
        call.chunk ? new ChunkFailure([], unreadableResult()) : unreadableResult(),
      );
    }
  }
  return lost;
}
