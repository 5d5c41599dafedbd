// The seam between the pool core and its transport: one worker as the pool sees it. A thread and
// a process differ only here: how messages travel, how a worker ends, and whether a call handed
// ahead to a worker may still be cancelled (threads: yes, until it starts; processes: no).

import type { FromWorker, ToWorker } from '../protocol/messages.js';
import type { Call } from './call.js';
import { Deque } from '../deque.js';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the worker reported as it died (an uncaught error, out of memory), if anything. */
  error: unknown;
}

export interface PoolWorkerEvents {
  message(worker: PoolWorker, message: FromWorker): void;
  exit(worker: PoolWorker, exit: WorkerExit): void;
}

/**
 * Where a worker is in its life. It only moves forward: working → stopping → ending → exited
 * (any step may be skipped). What its exit means follows from it: while working, a death; while
 * stopping, none unless it took unfinished calls with it; while ending, none.
 */
export type WorkerLife =
  /** Takes calls. */
  | 'working'
  /** Asked to finish and exit (shutdown, maxTasksPerChild), or its channel is gone: takes no call. */
  | 'stopping'
  /** Being ended on purpose (broken pool, terminateWorkers, a limited call past its grace). */
  | 'ending'
  | 'exited';

const LIFE_ORDER: Record<WorkerLife, number> = { working: 0, stopping: 1, ending: 2, exited: 3 };

export abstract class PoolWorker {
  /** Calls sent to this worker whose results have not come back, oldest first. */
  readonly inFlight = new Deque<Call>();
  /** Ids of the CallableDefs this worker has received. */
  readonly defined = new Set<number>();
  /** Sequence number of the next call sent to this worker. */
  nextSeq = 0;
  /** Calls it may still be sent before it must be replaced (maxTasksPerChild). */
  tasksLeft = Infinity;
  #life: WorkerLife = 'working';
  /** Its initializer has run (the worker said 'ready'): a death before that means it cannot start. */
  ready = false;
  /** The limited call this worker runs, alone: no other call is handed to it meanwhile. */
  exclusive: Call | undefined = undefined;
  /** The one timer of this worker: the exclusive call's deadline, then its grace before the worker is ended. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  /** threadId or pid: what a user can see of this worker. */
  abstract readonly id: number;

  /** Sends a message; throws (a DataCloneError) if a value in it cannot travel. */
  abstract post(message: ToWorker): void;

  /** Readies the start flag of call `seq` before it is sent. */
  abstract prepareStart(seq: number): void;

  /** Called once `call` has been sent: a thread lets it be cancelled until it starts; a process marks it running. */
  abstract handedOver(call: Call): void;

  /** True once the worker has started call `seq`. */
  abstract hasStarted(seq: number): boolean;

  /** Stops the worker from ever starting call `seq`: false if it has started already. */
  abstract preventStart(seq: number, reclaim: boolean): boolean;

  get life(): WorkerLife {
    return this.#life;
  }

  /** Moves the worker on in its life; never back (a later step already taken stays). */
  advance(to: WorkerLife): void {
    if (LIFE_ORDER[to] > LIFE_ORDER[this.#life]) this.#life = to;
  }

  /** Asks the worker to exit once the calls it has are done. */
  stop(): void {
    if (this.#life !== 'working') return;
    this.#life = 'stopping';
    try {
      this.post({ t: 'stop' });
    } catch {
      // The channel is already gone: the exit event follows.
    }
  }

  /** Ends the worker now (thread: terminate; process: a signal). Its exit then is no death. */
  abstract end(signal?: NodeJS.Signals): void;

  /** Keep the parent's event loop alive while this worker has work; let it go when idle. */
  abstract ref(): void;
  abstract unref(): void;
}
