// The worker host: takes a queue's jobs from Redis (a BullMQ Worker) and runs each call on one of
// our own local executors, so that
//   - a host uses all its cores (process or thread pool),
//   - a call's timeout and a producer's signal end the call for real (the local pools can end a
//     worker), and
//   - this process's event loop only shuttles jobs and stays free to renew BullMQ's job locks: a
//     call that hogged it would let the lock lapse and have its job run twice.
//
//   BullMQ Worker ─▶ processor(job) ─▶ allow-list ─▶ decode args ─▶ local.schedule(fromModule(...),
//                                                                     { timeout, signal })
//   cancel channel (pub/sub) ─▶ abort that job's signal ──────────────────────────┘
//   the processor returns { ok } / { err } / { chunkErr, done }: every outcome of the call travels
//   as a return value, and BullMQ's own failures are left to what happens around the call.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fromModule } from '../callable.js';
import { BrokenExecutor, TimeoutError } from '../errors.js';
import { EventLoopExecutor } from '../event-loop/event-loop-executor.js';
import type { Executor } from '../executor.js';
import { isBrokenPool } from '../pool/pool-executor.js';
import { DEFAULT_END_GRACE_MS } from '../pool/settings.js';
import { ProcessPoolExecutor } from '../process/process-pool-executor.js';
import { ThreadPoolExecutor } from '../thread/thread-pool-executor.js';
import { checkOptions, checkPositiveInteger, checkTimeout, describe } from '../validate.js';
import { describeError } from '../describe-error.js';
import { decodeError, decodeValue, decodedLength, encodeError, encodeValue } from './codec.js';
import { cloneAdvice } from '../protocol/clone-advice.js';
import {
  checkConnection,
  checkDatabase,
  openConnections,
  watchDatabaseSelect,
} from './connection.js';
import {
  cancelChannel,
  checkCallJobData,
  type CallJobData,
  type CallJobResult,
  type CancelMessage,
} from './job-data.js';
import { allowedName, checkedProjectRoot, resolveJobModule } from './module-names.js';
import { QUEUE_WORKER_OPTION_KEYS, checkKeyName, type QueueWorkerOptions } from './options.js';
import { bullmq, type RedisClient } from './peers.js';
import type { Job, Worker } from 'bullmq';
import { clearTimeout, performance, setTimeout } from '../timers.js';
import { reasonOf } from '../limits/signal-watch.js';

export type { QueueWorkerOptions } from './options.js';

/** A running worker host. */
export interface QueueWorker {
  /**
   * Stops taking jobs, lets the running calls finish for `closeGraceMs`, hands the others back to
   * the queue (another host runs them), then closes the local executor and the connections.
   */
  close(): Promise<void>;
  /** How many jobs this host has run to an outcome. */
  readonly jobsDone: number;
}

/**
 * How long a cancel heard before its job started here is remembered, how many at most, and how
 * many characters of their reasons in all: anyone who can PUBLISH on the Redis server can send
 * cancels, which must not fill the host's memory.
 */
const REMEMBER_CANCELS_MS = 10 * 60_000;
const REMEMBER_CANCELS_MAX = 10_000;
const REMEMBER_CANCELS_CHARS = 4 * 1024 * 1024;
/** A cancel's reason longer than this (encoded) is replaced by a short one: see cancelReason(). */
const MAX_CANCEL_REASON_CHARS = 64 * 1024;

interface RunningJob {
  controller: AbortController;
  /** Set when close() hands the job back to the queue instead of letting it finish. */
  handedBack: boolean;
}

/** Starts a worker host (also `npx concurrent-futures worker`); resolves once it is connected. */
export function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  return startWorkerHost(options, {});
}

/**
 * What the command line tells its user about the host's Redis connection. A host retries for as
 * long as it runs (a service waits for its Redis); a library caller awaits startQueueWorker(), the
 * command line's user would otherwise see nothing at all while it waits.
 */
export interface ConnectionWatcher {
  unreachable?(error: Error): void;
  reached?(): void;
  /** The host's local pool broke (a call ended its child process) and was replaced. */
  poolReplaced?(error: Error): void;
}

/** startQueueWorker(), with a watcher on its command connection (for the command line). */
export async function startWorkerHost(
  options: QueueWorkerOptions,
  watcher: ConnectionWatcher,
): Promise<QueueWorker> {
  const settings = checkWorkerOptions(options);
  let local = makeLocalExecutor(settings.pool, settings.workers, settings.endGraceMs);
  /**
   * A call that ends its child (process.exit, a crash, out of memory) breaks a process pool, and
   * every call running on it fails (as in Python). The host must go on serving the queue: the
   * broken pool is replaced once, for the calls after, and the call fails with a message that
   * says what happened on this host (the pool's own says to create a new executor).
   */
  const onBroken = (error: unknown, broken: Executor): unknown => {
    // A call may throw a Broken* error of its own (a pool it made broke): only the host's pool counts.
    if (!(error instanceof BrokenExecutor) || !isBrokenPool(broken)) return error;
    if (local === broken) {
      local = makeLocalExecutor(settings.pool, settings.workers, settings.endGraceMs);
      void broken.shutdown({ cancelFutures: true }).catch(ignore);
      watcher.poolReplaced?.(error);
    }
    const Broken = error.constructor as new (message: string, options: ErrorOptions) => Error;
    const signal = signalFromOutside(error);
    const how =
      signal === undefined
        ? `A call on the worker host (pid ${process.pid}) ended one of its ${settings.pool} pool's ` +
          `workers while this call ran there (process.exit(), a crash, out of memory)`
        : `One of the ${settings.pool} pool's workers of the worker host (pid ${process.pid}) was ` +
          `killed by ${signal} while this call ran there, a signal from outside the host (a ` +
          `supervisor that signals every process of the service, as systemd's default ` +
          `KillMode=control-group does: set KillMode=mixed)`;
    return new Broken(
      `${how}, which broke the pool; the host replaced it and goes on. This call may have run in ` +
        `part: submit it again if that is safe. The pool's own error is the cause.`,
      { cause: error },
    );
  };
  const scheduleLocal = async (
    fn: ReturnType<typeof fromModule>,
    options: { args: unknown[]; timeout?: number; signal: AbortSignal },
  ): Promise<unknown> => {
    const executor = local;
    try {
      return await executor.schedule(fn, options);
    } catch (error) {
      throw onBroken(error, executor);
    }
  };
  const concurrency = settings.workers ?? defaultConcurrency(settings.pool);
  const connections = openConnections(settings.connection);
  const databaseRefused = watchDatabaseSelect(connections.client, connections.where);
  connections.client.on('error', (error: Error) => watcher.unreachable?.(error));
  connections.client.on('ready', () => watcher.reached?.());
  const running = new Map<string, RunningJob>();
  const cancelledEarly = new Map<string, { reason: string; at: number }>();
  let earlyReasonChars = 0;
  const forgetEarlyCancel = (id: string): void => {
    const early = cancelledEarly.get(id);
    if (early === undefined) return;
    cancelledEarly.delete(id);
    earlyReasonChars -= early.reason.length;
  };
  let jobsDone = 0;

  const subscriber: RedisClient = connections.duplicate();
  subscriber.on('error', ignore);
  subscriber.on('message', (_channel: string, text: string) => {
    // Anyone who can PUBLISH on this Redis can send here: a message that is not a cancel of ours
    // is ignored, never thrown (a throw here would end the host, and every host on the queue).
    const message = readCancelMessage(text);
    if (message === undefined) return;
    const job = running.get(message.id);
    if (job !== undefined) {
      job.controller.abort(cancelReason(message.reason));
      return;
    }
    // Not running here (yet): if this host takes the job later, it must not run it. Remembered
    // for a while, and only so many: forged cancels must not fill the host's memory.
    const now = performance.now();
    forgetEarlyCancel(message.id); // re-inserted last, so the oldest stay first
    cancelledEarly.set(message.id, { reason: message.reason, at: now });
    earlyReasonChars += message.reason.length;
    for (const [id, { at }] of cancelledEarly) {
      if (
        now - at < REMEMBER_CANCELS_MS &&
        cancelledEarly.size <= REMEMBER_CANCELS_MAX &&
        earlyReasonChars <= REMEMBER_CANCELS_CHARS
      )
        break;
      forgetEarlyCancel(id); // a Map keeps insertion order: the oldest go first
    }
  });
  // A host that cannot start (a wrong password, a Redis that refuses) lets go of what it opened:
  // a caller that catches the rejection must not be kept alive by its connections or pool.
  const abandon = async (): Promise<void> => {
    subscriber.disconnect();
    if (connections.owned) connections.client.disconnect();
    await local.shutdown({ cancelFutures: true });
  };
  try {
    await subscriber.subscribe(cancelChannel(settings.prefix, settings.queue));
    // A host must not take jobs from another database than the one it names.
    await checkDatabase(connections.client, connections.where, databaseRefused);
  } catch (error) {
    await abandon();
    throw error;
  }

  // Two parameters, not three: BullMQ makes an AbortController for every job of a processor that
  // takes its third (the signal), and aborts it only from Worker.cancelJob(), which no one calls on
  // this host's Worker: cancels reach a host through our own channel above. A controller and two
  // listeners less per job are a good part of what a trivial call costs here.
  const processor = async (
    job: Job<CallJobData, CallJobResult>,
    token?: string,
  ): Promise<CallJobResult> => {
    const id = job.id!;
    const early = cancelledEarly.get(id);
    if (early !== undefined) {
      forgetEarlyCancel(id);
      return { err: early.reason !== '' ? early.reason : encodeError(cancelReason('')) };
    }
    const entry: RunningJob = { controller: new AbortController(), handedBack: false };
    running.set(id, entry);
    try {
      const result = await runJob(job.data, entry.controller.signal);
      if (entry.handedBack) {
        await job.moveToWait(token);
        throw new bullmq.WaitingError();
      }
      jobsDone++;
      return result;
    } finally {
      running.delete(id);
    }
  };

  // One reference per module and export, made once: the local executors cache what they load by
  // reference, and a trivial call should not pay for a URL and a frozen object every time.
  const references = new Map<string, ReturnType<typeof fromModule>>();
  function reference(module: string, exportName: string): ReturnType<typeof fromModule> {
    const key = `${exportName}\0${module}`;
    let made = references.get(key);
    if (made === undefined) {
      made = fromModule(resolveJobModule(module, settings.root), exportName);
      if (references.size >= 1000) references.clear(); // export names come from producers: stay bounded
      references.set(key, made);
    }
    return made;
  }

  async function runJob(data: CallJobData, signal: AbortSignal): Promise<CallJobResult> {
    try {
      checkCallJobData(data);
      if (!settings.allowed.has(data.m)) throw notAllowed(data, settings.root);
      const fn = reference(data.m, data.e);
      const args = decodeValue(data.a);
      if (
        !Array.isArray(args) ||
        // Every argument a producer sends takes at least a byte: a longer list is a sparse one made
        // by hand (20 bytes can say 2^32 - 1 items), which would run out of memory or run for ever.
        args.length > decodedLength(data.a) ||
        (data.k !== undefined && args.length % data.k !== 0)
      ) {
        throw new Error(
          "This job's arguments are malformed (not a list of arguments, a sparse one, or not whole chunks of the chunk's arity), " +
            'so this host does not run it. Add calls through a QueueExecutor, not by hand.',
        );
      }
      if (data.k === undefined) {
        const value = await scheduleLocal(fn, { args, timeout: data.t, signal });
        return { ok: encodeResult(value, data.r) };
      }
      return await runChunk(fn, data.k, args, data.t, signal, data.r);
    } catch (error) {
      // The data may be what failed: its size limit only when it is a number at all.
      return { err: encodeErrorWithin(error, typeof data?.r === 'number' ? data.r : undefined) };
    }
  }

  /** A chunk runs its items one after the other; its timeout counts for the whole chunk. */
  async function runChunk(
    fn: ReturnType<typeof fromModule>,
    arity: number,
    flatArgs: unknown[],
    timeout: number | undefined,
    signal: AbortSignal,
    maxBytes: number,
  ): Promise<CallJobResult> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    // Past 2^31 - 1 ms Node would fire the timer at once: such a timeout is no limit (checkTimeout).
    const limit = timeout === undefined ? Infinity : checkTimeout(timeout, 'timeout')!;
    const timer =
      limit === Infinity
        ? undefined
        : setTimeout(
            () =>
              controller.abort(
                new TimeoutError(
                  `A chunk of ${fn.exportName} from ${fn.module} ran past its timeout of ${limit} ms and was ended.`,
                ),
              ),
            limit,
          );
    const results: unknown[] = [];
    try {
      for (let start = 0; start < flatArgs.length; start += arity) {
        const args = flatArgs.slice(start, start + arity);
        try {
          results.push(await scheduleLocal(fn, { args, signal: controller.signal }));
        } catch (error) {
          if (controller.signal.aborted) throw controller.signal.reason; // the chunk fails as a whole
          // The results before the failing item travel too: within maxResultBytes, as any result.
          return {
            chunkErr: encodeErrorWithin(error, maxBytes),
            done: encodeResult(results, maxBytes),
          };
        }
      }
      return { ok: encodeResult(results, maxBytes) };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  // BullMQ never closes a connection it is given: ours to disconnect after it closes.
  const workerConnection = connections.duplicate();
  workerConnection.on('error', ignore);
  const worker: Worker = new bullmq.Worker(settings.queue, processor, {
    connection: workerConnection,
    prefix: settings.prefix,
    concurrency,
    ...(settings.lockDuration !== undefined && { lockDuration: settings.lockDuration }),
    ...(settings.stalledInterval !== undefined && { stalledInterval: settings.stalledInterval }),
    ...(settings.maxStalledCount !== undefined && { maxStalledCount: settings.maxStalledCount }),
  });
  worker.on('error', ignore); // a lost connection: BullMQ reconnects by itself
  try {
    await worker.waitUntilReady();
  } catch (error) {
    await worker.close(true).catch(ignore);
    workerConnection.disconnect();
    await abandon();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    get jobsDone() {
      return jobsDone;
    },
    close() {
      return (closing ??= (async () => {
        const finished = worker.close();
        let timer: NodeJS.Timeout | undefined;
        // Infinity (or past 2^31 - 1 ms, which checkTimeout made Infinity): the calls may take as
        // long as they need; a timer that long would fire at once.
        const graceOver = new Promise<'grace over'>((resolve) => {
          if (settings.closeGraceMs !== Infinity)
            timer = setTimeout(() => resolve('grace over'), settings.closeGraceMs);
        });
        if ((await Promise.race([finished, graceOver])) === 'grace over') {
          const reason = new Error('The worker host is closing: the call goes back to the queue.');
          for (const job of running.values()) {
            job.handedBack = true;
            job.controller.abort(reason);
          }
          // Handing a job back is a Redis command, which waits while Redis cannot be reached: a
          // host told to stop must not wait for it for ever. Once its local pool has had
          // endGraceMs to end the calls, and Redis HAND_BACK_WAIT_MS more, it stops anyway; the
          // jobs' locks lapse and another host runs them again, as after a host's death.
          const endGrace = settings.endGraceMs ?? DEFAULT_END_GRACE_MS;
          if (!(await within(finished, endGrace + HAND_BACK_WAIT_MS)))
            await within(worker.close(true), HAND_BACK_WAIT_MS);
        } else await finished.catch(ignore); // it won the race: settled already
        clearTimeout(timer);
        await local.shutdown({ cancelFutures: true });
        subscriber.disconnect();
        workerConnection.disconnect();
        if (connections.owned) connections.client.disconnect();
      })());
    },
  };
}

/** How long a closing host waits for Redis to take back the jobs it ends (see close()). */
const HAND_BACK_WAIT_MS = 3_000;

/** Whether `promise` settled within `ms` (it may reject; that counts as settled). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Infinity) {
    await promise.catch(ignore);
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function encodeResult(value: unknown, maxBytes: number): string {
  let encoded: string;
  try {
    encoded = encodeValue(value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new TypeError(
      `The call's result cannot travel back to the producer: ${why}. ${cloneAdvice(why, 'Return')}`,
      { cause: error },
    );
  }
  const bytes = decodedLength(encoded);
  if (bytes > maxBytes) {
    throw new RangeError(
      `The call's result is ${bytes} bytes serialized, over the QueueExecutor's maxResultBytes of ` +
        `${maxBytes}. Return less (e.g. store large data elsewhere and return its key), or raise maxResultBytes.`,
    );
  }
  return encoded;
}

/** Errors up to this size travel whole whatever maxResultBytes is: a TimeoutError alone is ~600 bytes. */
const ERROR_BYTES_FLOOR = 64 * 1024;

/**
 * A thrown value as the producer will read it, within `maxBytes` (a result's limit, but never
 * less than ERROR_BYTES_FLOOR, so that a small limit does not strip ordinary errors of their
 * class): an error that carries megabytes (a response body on a property) becomes one that says
 * so, with its description, so that Redis and the producer are spared what a result could not
 * carry either.
 */
function encodeErrorWithin(error: unknown, maxBytes: number | undefined): string {
  const encoded = encodeError(error);
  const bytes = decodedLength(encoded);
  if (maxBytes === undefined || bytes <= Math.max(maxBytes, ERROR_BYTES_FLOOR)) return encoded;
  const shown = describeError(error);
  return encodeError(
    new Error(
      `The call threw an error of ${bytes} bytes serialized, over the ${Math.max(maxBytes, ERROR_BYTES_FLOOR)} bytes ` +
        `an error may take back to the producer (the QueueExecutor's maxResultBytes, and at least 64 KiB), ` +
        `so only its description travels: ${shown.length > 1000 ? `${shown.slice(0, 1000)}…` : shown}`,
    ),
  );
}

function makeLocalExecutor(
  pool: 'process' | 'thread' | 'event-loop',
  workers: number | undefined,
  endGraceMs: number | undefined,
): Executor {
  const options = { maxWorkers: workers, endGraceMs };
  if (pool === 'thread') return new ThreadPoolExecutor(options);
  if (pool === 'event-loop') return new EventLoopExecutor(options);
  return new ProcessPoolExecutor(options);
}

function defaultConcurrency(pool: 'process' | 'thread' | 'event-loop'): number {
  if (pool === 'process') return availableParallelism();
  return Math.min(32, availableParallelism() + 4);
}

interface WorkerSettings {
  connection: string | RedisClient;
  queue: string;
  prefix: string;
  allowed: Set<string>;
  root: string;
  pool: 'process' | 'thread' | 'event-loop';
  workers: number | undefined;
  endGraceMs: number | undefined;
  closeGraceMs: number;
  lockDuration: number | undefined;
  stalledInterval: number | undefined;
  maxStalledCount: number | undefined;
}

function checkWorkerOptions(options: QueueWorkerOptions): WorkerSettings {
  const checked = checkOptions<QueueWorkerOptions>(
    options,
    'options',
    QUEUE_WORKER_OPTION_KEYS,
    'startQueueWorker()',
  );
  const queue = checkKeyName(checked.queue, 'queue');
  const prefix =
    checked.prefix === undefined || checked.prefix === null
      ? 'bull'
      : checkKeyName(checked.prefix, 'prefix');
  const pool = checked.pool ?? 'process';
  if (pool !== 'process' && pool !== 'thread' && pool !== 'event-loop') {
    throw new TypeError(
      `Expected \`pool\` to be 'process', 'thread' or 'event-loop', got ${describe(pool)}.`,
    );
  }
  if (
    !Array.isArray(checked.allow) ||
    checked.allow.length === 0 ||
    !checked.allow.every((entry) => typeof entry === 'string' && entry !== '')
  ) {
    throw new TypeError(
      `Expected \`allow\` to be a non-empty list of module paths or package names, got ${describe(checked.allow)}. ` +
        'A worker host runs only exports of the modules it allows.',
    );
  }
  if (checked.root !== undefined && checked.root !== null && typeof checked.root !== 'string') {
    throw new TypeError(`Expected \`root\` to be a directory path, got ${describe(checked.root)}.`);
  }
  const root = checkedProjectRoot(checked.root ?? undefined, 'root');
  const lockDuration = checkTimerMs(checked.lockDuration, 'lockDuration');
  const stalledInterval = checkTimerMs(checked.stalledInterval, 'stalledInterval');
  let maxStalledCount: number | undefined;
  if (checked.maxStalledCount !== undefined && checked.maxStalledCount !== null) {
    const value = checked.maxStalledCount;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Expected \`maxStalledCount\` to be an integer >= 0, got ${describe(value)}.`,
      );
    }
    maxStalledCount = value;
  }
  return {
    connection: checkConnection(checked.connection),
    queue,
    prefix,
    allowed: new Set(checked.allow.map((entry) => allowedName(entry, root))),
    root,
    pool,
    workers: checkPositiveInteger(checked.workers, 'workers'),
    endGraceMs: checkTimeout(checked.endGraceMs, 'endGraceMs'),
    closeGraceMs: checkTimeout(checked.closeGraceMs, 'closeGraceMs') ?? 10_000,
    lockDuration,
    stalledInterval,
    maxStalledCount,
  };
}

function ignore(): void {}

/** A cancel message as the producer sends it, or undefined for anything else on the channel. */
function readCancelMessage(text: string): CancelMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { id, reason } = parsed as { id?: unknown; reason?: unknown };
  if (typeof id !== 'string' || typeof reason !== 'string') return undefined;
  return reason.length > MAX_CANCEL_REASON_CHARS ? { id, reason: '' } : { id, reason };
}

/** What the cancelled call's currentSignal() aborts with: the producer's reason when it reads back. */
function cancelReason(encoded: string): unknown {
  try {
    if (encoded !== '') return decodeError(encoded);
  } catch {
    // Not something a producer of ours sent: the call is cancelled all the same.
  }
  return new Error('The call was cancelled by its producer.');
}

/** Longest delay Node's timers take: past it, setTimeout fires after 1 ms (and BullMQ checks ~1000×/s). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A positive integer of milliseconds that BullMQ hands to setTimeout / setInterval. */
function checkTimerMs(value: unknown, name: string): number | undefined {
  const ms = checkPositiveInteger(value, name);
  if (ms !== undefined && ms > MAX_TIMER_MS) {
    throw new RangeError(
      `Expected \`${name}\` to be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest delay Node's timers take), got ${ms}.`,
    );
  }
  return ms;
}

/**
 * A job's module is not on this host's allow-list. When the name is a path that is not a file under
 * this host's root, allowing it would not help: the producer named it from another root (it found
 * another package.json, or none and took its working directory), and that is what to fix.
 */
function notAllowed(data: CallJobData, root: string): Error {
  const head = `This worker host does not run the module ${data.m} (export ${data.e}): it is not on its allow-list.`;
  if (data.m.startsWith('./') && !existsSync(fileURLToPath(resolveJobModule(data.m, root)))) {
    return new Error(
      `${head} Nor is there such a file under this host's project root ${root}: the producer named the ` +
        'module from another root (the nearest directory above its working directory with a ' +
        "package.json, or that directory itself when there is none). Start the producer in the project's " +
        "directory, or set the QueueExecutor's `projectRoot` to the project's root, the same one the " +
        'hosts use (--root).',
    );
  }
  return new Error(
    `${head} Start the host with --allow ${data.m} (or allow: ['${data.m}']), with module paths ` +
      `taken from the project root ${root}.`,
  );
}

/**
 * The signal that killed a pool's worker when it is one a supervisor or a terminal sends (not a
 * crash's SIGSEGV or an OOM killer's SIGKILL): the call did not end its worker, someone outside did.
 */
export function signalFromOutside(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  return /killed by signal (SIGTERM|SIGINT|SIGHUP|SIGQUIT)\b/.exec(message)?.[1];
}
