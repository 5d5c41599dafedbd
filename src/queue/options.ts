import type { RedisClient } from './peers.js';
import { describe, type OptionKeys } from '../validate.js';

/**
 * A queue name or key prefix, the same rule for producers and hosts (BullMQ joins them into keys
 * with ":", so a ":" in either could make two queues share keys).
 */
export function checkKeyName(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '' || value.includes(':')) {
    throw new TypeError(
      `Expected \`${name}\` to be a non-empty string without ":", got ${describe(value)}.`,
    );
  }
  return value;
}

/** Options of `new QueueExecutor(options)`. `null` or `undefined` means the option is not given. */
export interface QueueExecutorOptions {
  /**
   * Redis: a `redis://` or `rediss://` URL (user, password, database and TLS as in the URL), or an
   * ioredis client, which the executor uses and never closes. Required.
   */
  connection: string | RedisClient;
  /** The BullMQ queue's name; worker hosts started with the same `--queue` run its calls. Required. */
  queue: string;
  /** BullMQ's key prefix (default `'bull'`, BullMQ's own); hosts must use the same. */
  prefix?: string | null | undefined;
  /**
   * How many calls may be in Redis at once (default 1000). They count as running: `cancel()`
   * cannot take them back. The others wait in this process, where `cancel()` is exact.
   */
  maxPending?: number | null | undefined;
  /** The largest result a host may send, in serialized bytes (default 1 MiB); a bigger one fails its future. */
  maxResultBytes?: number | null | undefined;
  /**
   * Milliseconds Redis may stay unreachable (never reached at start, or lost) before every pending
   * future fails with an error that says so (default 30000).
   */
  unreachableTimeout?: number | null | undefined;
  /**
   * Milliseconds without news of a call in Redis after which the executor reads its job's state
   * instead of waiting for its event (default 5000). Events can be missed: a dropped connection, a
   * trimmed stream, a restarted Redis.
   */
  reconcileAfter?: number | null | undefined;
  /**
   * The directory file modules are named from (default: the nearest directory with a
   * package.json, from the current directory up). Hosts resolve the names against their own root.
   */
  projectRoot?: string | null | undefined;
  /**
   * Accepted for a drop-in switch between executors and unused here: how long an ended call may take
   * to stop is the host's `endGraceMs` (`--end-grace-ms`). Default: 1000.
   */
  endGraceMs?: number | null | undefined;
}

/** Options of `startQueueWorker(options)`, the worker host (also `npx concurrent-futures worker`). */
export interface QueueWorkerOptions {
  /** Redis, as for the QueueExecutor: a `redis://` / `rediss://` URL or an ioredis client. Required. */
  connection: string | RedisClient;
  /** The queue to take calls from. Required. */
  queue: string;
  /**
   * The modules whose exports this host runs: paths (from the current directory or the project
   * root) or package names. A job naming any other module fails its future. Required, not empty.
   */
  allow: readonly string[];
  /** Which local executor runs the calls (default `'process'`). */
  pool?: 'process' | 'thread' | 'event-loop' | null | undefined;
  /** The local executor's `maxWorkers`, and how many jobs the host takes at once (default: its own default). */
  workers?: number | null | undefined;
  /** The project root job modules are resolved against (default: nearest package.json from the current directory). */
  root?: string | null | undefined;
  /** BullMQ's key prefix (default `'bull'`). */
  prefix?: string | null | undefined;
  /** The local executor's `endGraceMs`: how long an ended call may take to stop before its worker is ended (default 1000). */
  endGraceMs?: number | null | undefined;
  /** On `close()`, milliseconds running calls may take to finish before they are handed back to the queue (default 10000). */
  closeGraceMs?: number | null | undefined;
  /** BullMQ's job lock, in ms (default 30000): a host silent this long is taken for dead. */
  lockDuration?: number | null | undefined;
  /** BullMQ's stalled-job check interval, in ms (default 30000). */
  stalledInterval?: number | null | undefined;
  /** How many times a job may stall (its host died) and run again before it fails (default 1). */
  maxStalledCount?: number | null | undefined;
}

/** Every option of `new QueueExecutor()`: any other key is refused. */
export const QUEUE_EXECUTOR_OPTION_KEYS: OptionKeys<QueueExecutorOptions> = {
  connection: true,
  queue: true,
  prefix: true,
  maxPending: true,
  maxResultBytes: true,
  unreachableTimeout: true,
  reconcileAfter: true,
  projectRoot: true,
  endGraceMs: true,
};

/** Every option of `startQueueWorker()`: any other key is refused. */
export const QUEUE_WORKER_OPTION_KEYS: OptionKeys<QueueWorkerOptions> = {
  connection: true,
  queue: true,
  allow: true,
  pool: true,
  workers: true,
  root: true,
  prefix: true,
  endGraceMs: true,
  closeGraceMs: true,
  lockDuration: true,
  stalledInterval: true,
  maxStalledCount: true,
};
