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

/**
 * The job's data as a host may trust it, or an Error that says what is wrong. Anyone who can write
 * to the queue can add a job, and a malformed one must fail alone: a chunk arity of 0 once made a
 * host loop forever on one job, and a missing size limit let any result through.
 */
export function checkCallJobData(data: unknown): CallJobData {
  if (data === null || typeof data !== 'object' || (data as { v?: unknown }).v !== 1) {
    throw new Error(
      'This job was not made by a QueueExecutor of this version of concurrent-futures, so this host does not run it.',
    );
  }
  const { m, e, a, k, t, r } = data as Record<string, unknown>;
  const wrong = (what: string, value: unknown): Error =>
    new Error(
      `This job's data is malformed (${what}, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(value)}), ` +
        'so this host does not run it. Add calls through a QueueExecutor, not by hand.',
    );
  if (typeof m !== 'string' || m === '') throw wrong('its module must be a non-empty string', m);
  if (typeof e !== 'string' || e === '') throw wrong('its export must be a non-empty string', e);
  if (typeof a !== 'string') throw wrong('its arguments must be a base64 string', a);
  if (k !== undefined && !(Number.isSafeInteger(k) && (k as number) >= 1))
    throw wrong("a chunk's arity must be an integer >= 1", k);
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && t <= Number.MAX_SAFE_INTEGER))
    throw wrong('its timeout must be a number of milliseconds >= 0', t);
  if (!(Number.isSafeInteger(r) && (r as number) >= 1))
    throw wrong('its result size limit must be an integer >= 1', r);
  return data as CallJobData;
}
