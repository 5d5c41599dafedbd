// The job format: what a producer puts in Redis and what a host returns, as plain JSON (BullMQ
// stores both as JSON). Both sides import this file and nothing of each other. Short keys, since
// every job carries them through Redis and the events stream.

/** `job.data` of one call (or one chunk of a map). */
export interface CallJobData {
  /** Format version, so that a host refuses a producer it does not understand. */
  v: 1;
  /** The module, named as in `module-names.ts`: `./path/from/project/root.js` or a package name. */
  m: string;
  /** The export's name. */
  e: string;
  /** The arguments, V8-serialized in base64: one argument list, or for a chunk the flat list. */
  a: string;
  /** For a chunk: how many values make one argument list. Absent for a single call. */
  k?: number;
  /** Milliseconds the call (the chunk) may run, counted from its start on the host. */
  t?: number;
  /** The producer's `maxResultBytes`: the host refuses to send a bigger result. */
  r: number;
}

/**
 * `job.returnvalue`. Every outcome of the call travels as a return value, also its error: the
 * job "completes" in BullMQ's terms, and BullMQ's "failed" state is left to what went wrong
 * around the call (a host that died too often, a lost lock).
 */
export type CallJobResult =
  | { ok: string } // the value (a chunk: the list of values), encodeValue()
  | { err: string } // the thrown value, encodeError()
  | { chunkErr: string; done: string }; // a chunk's item failed: the error, and the results before it

export const JOB_NAME = 'call';

/** The pub/sub channel on which producers tell every host to end a running job. */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:concurrent-futures:cancel`;
}

/** A message on the cancel channel: the job's id and the reason, encoded with encodeError(). */
export interface CancelMessage {
  id: string;
  reason: string;
}
