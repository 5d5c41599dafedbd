// The messages between a pool and its workers: plain types that both sides import, and nothing else.
//
// Calls travel in batches, and results come back in batches, because one message per call caps a
// pool at a few tens of thousands of calls a second. A worker runs the calls it is sent strictly in
// the order it received them: the n-th call a worker receives is call n (its "sequence number"),
// and the n-th result it sends back belongs to call n. Each batch also carries the sequence number
// of its first call or result (`first`), so that a message lost on the way (a value that serialises
// but cannot be read back, such as an Error whose cause is itself) shifts nothing after it.
//
// A lost message is sent again, one call (or result) per message, so that only the value that
// cannot be read back fails, not its neighbours in the batch:
// - pool → worker: the worker reports `lost` (from: the first call it misses) and holds what comes
//   after; the pool sends those calls again one by one (`resent`), then `resent-end`. A call lost
//   again alone fails with "could not be read back".
// - worker → pool: the pool asks `resend` (from: the first result it misses) and ignores batches
//   until the worker's `end`; the worker keeps the results it sent until the pool acknowledges
//   them (`ack` on each 'run' message), and sends them again one by one. A result lost again
//   alone fails its call; the next message's `first` tells which.

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
  /** Sequence number of the first call in `calls` (stamped by the PoolWorker as it posts). */
  first?: number;
  /** Every result before this sequence number has reached the pool: the worker may forget them. */
  ack?: number;
  /** A call sent again, alone, after the worker could not read the message that held it. */
  resent?: true;
  defs: CallableDef[] | undefined;
  calls: unknown[];
  /**
   * The call in this message has a time limit or a signal and the pool cannot tell when it will
   * start (the worker is not ready, or must load the function): the worker reports its start
   * (StartedMessage), from which its timeout counts. Such a call travels first in a message of its own.
   */
  reportStart?: true;
  /**
   * Functions the worker may forget before it reads `defs`: the pool bounds what each worker keeps,
   * and names only ids that no call sent to this worker and not yet answered still needs.
   */
  forget?: number[];
  /** Threads: where Buffers are among the arguments, to be made Buffers again (see buffers.ts). */
  buffers?: number[];
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

/** The pool could not read results from `from` on: send them again, one per message. */
export interface ResendMessage {
  t: 'resend';
  from: number;
}

/** The calls the worker reported lost have all been sent again. */
export interface ResentEndMessage {
  t: 'resent-end';
}

export type ToWorker =
  RunMessage | StopMessage | InitMessage | AbortMessage | ResendMessage | ResentEndMessage;

export interface WorkerInit {
  initializer: CallableDef | undefined;
  initargs: unknown[];
  /** Thread workers only: per-call start flags shared with the pool (see StartFlag). */
  startFlags: SharedArrayBuffer | undefined;
  /**
   * The key the pool reads this worker's messages by: a child stamps it on every frame (see
   * frames.ts), a thread puts it on every envelope (see thread-worker.ts).
   */
  frameKey?: readonly [number, number];
  /**
   * Send the results held before each next call starts (threads with resourceLimits): a call that
   * runs out of memory kills its thread with no exit hook, and must not take finished results with it.
   */
  sendBeforeEachCall?: true;
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
  /** Sequence number of the call of the first result; every call before it has been answered. */
  first: number;
  results: unknown[];
  /** A result sent again, alone, at the pool's `resend`; `end`: the last of them (no results). */
  resent?: true;
  end?: true;
  /** Milliseconds the worker spent running these calls: the pool sizes its hand-ahead window by it. */
  busyMs: number;
  /** How long the last call took, if it was slow (>= 1 ms): for stats, which otherwise see averages. */
  slowMs?: number;
  /** Threads: which results are Buffers, to be made Buffers again (see buffers.ts). */
  buffers?: number[];
}

export interface ReadyMessage {
  t: 'ready';
}

export interface InitFailedMessage {
  t: 'initFailed';
  error: unknown;
}

/** The worker started call `seq` (sent only for calls marked `reportStart`). */
export interface StartedMessage {
  t: 'started';
  seq: number;
}

/**
 * Processes: the worker was told to abort call `seq` before it started it, and will skip it. The
 * pool need not end the worker for it (a child still in its initializer cannot report the skip
 * until it reaches the call).
 */
export interface WillSkipMessage {
  t: 'willSkip';
  seq: number;
}

/** The worker could not read a message with calls from `from` on: the pool sends them again. */
export interface LostMessage {
  t: 'lost';
  from: number;
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
  /**
   * The call they were behind is still running (an async call that awaits far past its usual
   * time): the pool hands this worker nothing more until it reports back, or the calls would
   * strand behind it again.
   */
  stillRunning?: true;
}

export type FromWorker =
  | DoneMessage
  | ReadyMessage
  | InitFailedMessage
  | StartedMessage
  | WillSkipMessage
  | LostMessage
  | HandBackMessage;

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
  /**
   * Run to its end by the worker, its result held there until the next batch goes: a worker that
   * dies or is ended now takes the result with it, and the pool must not say the call was cut off.
   */
  Finished: 4,
} as const;

/** Slots per thread worker: the most calls a pool hands ahead to one worker. A power of two. */
export const START_FLAG_SLOTS = 1024;
