// One call of a QueueExecutor (or one chunk of a map) from submit to its settling, and what the
// executor's parts (queue-executor.ts, watchdog.ts) say about calls and jobs: the job options that
// keep a finished job readable, and the errors a call fails with.

import { callableName, type ModuleFunction } from '../callable.js';
import type { Future } from '../future.js';
import type { LimitedCall } from '../limits/limited-call.js';
import { encodeValue } from './codec.js';
import { cloneAdvice } from '../protocol/clone-advice.js';
import type { CallJobData } from './job-data.js';

/** How long finished jobs stay in Redis, so reconciliation still finds a result whose event was missed. */
const KEEP_FINISHED_SECONDS = 3600;

/** One call (or one chunk of a map) from submit to its settling. */
export class QueueCall {
  id: string | undefined = undefined;
  data: CallJobData | undefined = undefined;
  /** When we last heard of its job (sent, an event, a reconciliation). */
  heardAt = 0;
  /** A call with a timeout or a signal (see src/limits/). */
  limited: LimitedCall<QueueCall> | undefined = undefined;
  /** Settled and counted over (see QueueExecutor): once only. */
  counted = false;
  constructor(
    readonly future: Future<any>,
    readonly fn: ModuleFunction,
    readonly args: unknown[],
    /** For a chunk: values per argument list; undefined for a single call. */
    readonly arity: number | undefined,
  ) {}
}

export function encodeArguments(call: QueueCall): string {
  try {
    return encodeValue(call.args);
  } catch (error) {
    throw new TypeError(
      `The arguments of ${callableName(call.fn)} cannot travel to a worker host: ${messageOf(error)}. ` +
        cloneAdvice(messageOf(error), 'Pass'),
      { cause: error },
    );
  }
}

export function withKeepOptions<T extends { opts: { jobId: string } }>(job: T): T {
  const opts = job.opts as Record<string, unknown>;
  opts.removeOnComplete = { age: KEEP_FINISHED_SECONDS };
  opts.removeOnFail = { age: KEEP_FINISHED_SECONDS };
  return job;
}

export function jobFailure(call: QueueCall, failedReason: string): Error {
  if (/stalled/i.test(failedReason)) {
    return new Error(
      `${callableName(call.fn)} was started on worker hosts that died (or stopped answering) more ` +
        `often than their maxStalledCount allows, so it is given up (BullMQ: "${failedReason}"). ` +
        `Delivery is at least once: it may have run, in part or whole, on each of those hosts.`,
    );
  }
  return new Error(`The job of ${callableName(call.fn)} failed in BullMQ: ${failedReason}`);
}

export function tooLarge(call: QueueCall, bytes: number, limit: number): Error {
  return new RangeError(
    `The result of ${callableName(call.fn)} is ${bytes} bytes serialized, over the QueueExecutor's ` +
      `maxResultBytes of ${limit}. Return less (e.g. store large data elsewhere and return its key), ` +
      `or raise maxResultBytes.`,
  );
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function ignore(): void {}
