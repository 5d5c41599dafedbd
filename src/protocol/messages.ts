// The messages between a pool and its workers: plain types that both sides import, and nothing else.
//
// Calls travel in batches, and results come back in batches, because one message per call caps a
// pool at a few tens of thousands of calls a second. A worker runs the calls it is sent strictly in
// the order it received them, so neither side numbers them: the n-th call a worker receives is
// call n (its "sequence number"), and the n-th result it sends back belongs to call n.

/** How a function is named to a worker: sent once per worker, then referred to by `id`. */
export type CallableDef =
  | { id: number; kind: 'source'; name: string; source: string }
  | { id: number; kind: 'module'; module: string; exportName: string };

/**
 * A batch of calls, flattened into pairs `[op, payload]` so that a batch is one array:
 * - `op >= 0`: one call of function `op`; `payload` is its argument list.
 * - `op < 0`: a chunk of calls of function `-op - 1`; `payload` is a list of argument lists.
 */
export interface RunMessage {
  t: 'run';
  defs: CallableDef[] | undefined;
  calls: unknown[];
  /**
   * The call in this message has a time limit or a signal and the pool cannot tell when it will
   * start (the worker is not ready, or must load the function): the worker reports its start
   * (StartedMessage), from which its timeout counts. Such a call always travels alone.
   */
  timed?: true;
}

/** End the running call `seq` cooperatively: abort its currentSignal() with `reason`. */
export interface AbortMessage {
  t: 'abort';
  seq: number;
  reason: unknown;
}

/** Finish nothing more: exit once the calls already received are done. */
export interface StopMessage {
  t: 'stop';
}

/** Sent to a child process as its first message (a worker thread gets it as `workerData`). */
export interface InitMessage {
  t: 'init';
  init: WorkerInit;
}

export type ToWorker = RunMessage | StopMessage | InitMessage | AbortMessage;

export interface WorkerInit {
  initializer: CallableDef | undefined;
  initargs: unknown[];
  /** Thread workers only: per-call start flags shared with the pool (see StartFlag). */
  startFlags: SharedArrayBuffer | undefined;
}

/** Result statuses, each followed by one payload in `DoneMessage.results`. */
export const Status = {
  /** The call returned; payload: the value. */
  Returned: 0,
  /** The call threw; payload: the encoded error. */
  Threw: 1,
  /** The pool cancelled the call before it started, so it never ran; payload: undefined. */
  Skipped: 2,
  /** A chunk stopped at a failing item; payload: [results before it, encoded error]. */
  ChunkThrew: 3,
} as const;

/** Results of the next calls in sequence, as flat pairs `[status, payload]`. */
export interface DoneMessage {
  t: 'done';
  results: unknown[];
  /** Milliseconds the worker spent running these calls: the pool sizes its hand-ahead window by it. */
  busyMs: number;
}

export interface ReadyMessage {
  t: 'ready';
}

export interface InitFailedMessage {
  t: 'initFailed';
  error: unknown;
}

/** The worker started call `seq` (sent only for calls marked `timed`). */
export interface StartedMessage {
  t: 'started';
  seq: number;
}

/**
 * Processes: the worker gives back, unstarted, calls `from` .. `from + count - 1`, which it held
 * behind a call that ran far past its usual time; the pool runs them elsewhere (see dispatch).
 * Sent right after the results of the calls before them.
 */
export interface HandBackMessage {
  t: 'handBack';
  from: number;
  count: number;
}

export type FromWorker =
  DoneMessage | ReadyMessage | InitFailedMessage | StartedMessage | HandBackMessage;

/**
 * Per-call start flags in a SharedArrayBuffer (thread workers): slot `seq % capacity` of an
 * Int32Array. Whichever side moves a slot away from Queued first with Atomics.compareExchange wins,
 * so a call handed ahead to a worker can still be cancelled, exactly, until the worker starts it.
 */
export const StartFlag = {
  Queued: 0,
  Started: 1,
  Cancelled: 2,
  /** Taken back by the pool to run elsewhere (its worker is going away). */
  Reclaimed: 3,
} as const;

/** Slots per thread worker: the most calls a pool hands ahead to one worker. A power of two. */
export const START_FLAG_SLOTS = 1024;
