// QueueExecutor: the Future API across machines, on BullMQ and Redis.
//
//   submit(ref, ...args) ─▶ local line (Deque) ── cancel() here is exact
//                               │  pump: at most maxPending calls in Redis; a call leaving the
//                               ▼  line becomes RUNNING, its arguments are encoded (codec.ts)
//                         Queue.addBulk(jobs) ──▶ Redis ──▶ worker hosts (worker-host.ts)
//                                                              │ run it on a local executor
//   future settles ◀── QueueEvents 'completed' / 'failed' ◀────┘ return { ok | err }
//                      (redis-link.ts: connections, the events stream, idle handling)
//        ▲
//        └── reconciliation (watchdog.ts): a call not heard of for `reconcileAfter` ms, and every
//            call after a reconnect, has its job read; a job gone missing (Redis restarted without
//            it) is added again from the arguments we still hold.
//
// One QueueEvents stream per executor, never Job.waitUntilFinished (it hangs on removed jobs and
// adds a listener per job). Job ids are `<executor id>-<n>`, so events of other producers on the
// same queue are told apart by a Map lookup.

import { randomBytes } from 'node:crypto';
import { callableName, isModuleFunction, type Callable, type ModuleFunction } from '../callable.js';
import { Executor } from '../executor.js';
import { Future } from '../future.js';
import { refuseFutureArguments } from '../forgotten-await.js';
import { Limiter, type CallLimits, type LimitedCall } from '../limits/limited-call.js';
import { ChunkFailure } from '../map.js';
import { Deque } from '../deque.js';
import { checkOptions, checkPositiveInteger, checkTimeout, describe } from '../validate.js';
import { decodeError, decodeValue, decodedLength, encodeError } from './codec.js';
import { checkConnection } from './connection.js';
import {
  JOB_NAME,
  cancelChannel,
  type CallJobData,
  type CallJobResult,
  type CancelMessage,
} from './job-data.js';
import { checkedProjectRoot, jobModuleName } from './module-names.js';
import {
  QueueCall,
  encodeArguments,
  ignore,
  jobFailure,
  messageOf,
  tooLarge,
  withKeepOptions,
} from './queue-call.js';
import { RedisLink } from './redis-link.js';
import { Watchdog } from './watchdog.js';
import { QUEUE_EXECUTOR_OPTION_KEYS, checkKeyName, type QueueExecutorOptions } from './options.js';
import type { ExecutorStats } from '../stats.js';
import { performance, queueMicrotask } from '../timers.js';

export type { QueueExecutorOptions } from './options.js';

const DEFAULT_MAX_PENDING = 1000;
const DEFAULT_MAX_RESULT_BYTES = 1024 * 1024;
const DEFAULT_UNREACHABLE_TIMEOUT = 30_000;
const DEFAULT_RECONCILE_AFTER = 5000;

/**
 * What `stats()` reports: the calls' counters of every executor's stats (one type, so the two
 * cannot drift). Here `queued` counts calls still in this process (not yet in Redis) and `running`
 * calls in Redis, waiting for a host or running on one.
 */
export interface QueueExecutorStats {
  calls: ExecutorStats['calls'];
}

/**
 * Runs `fromModule()` calls on worker hosts (`npx concurrent-futures worker`) through a BullMQ
 * queue on Redis, with the Future API of the local executors. Delivery is at least once: a call
 * whose host dies runs again on another host.
 */
export class QueueExecutor extends Executor {
  readonly #queueName: string;
  readonly #prefix: string;
  readonly #maxPending: number;
  /** The fewest calls a refill sends while more wait on the line (see #pump). */
  readonly #refillBatch: number;
  readonly #maxResultBytes: number;
  readonly #unreachableTimeout: number;
  readonly #reconcileAfter: number;
  readonly #projectRoot: string;
  readonly #connection: string | QueueExecutorOptions['connection'];
  readonly #idPrefix = randomBytes(6).toString('hex');
  readonly #moduleNames = new Map<string, string>();
  #nextId = 0;

  readonly #link: RedisLink;

  readonly #line = new Deque<QueueCall>();
  readonly #inRedis = new Map<string, QueueCall>();
  #pumpScheduled = false;
  /** Calls submitted and not yet settled. */
  #outstanding = 0;
  #idleWaiters: Array<() => void> = [];
  #counters = { completed: 0, failed: 0, cancelled: 0 };

  readonly #watchdog: Watchdog;
  /**
   * Its limited calls (see src/limits/): a call's timeout travels with its job and a host keeps it;
   * here, ending a call not sent yet cancels it, and ending one in Redis fails it at once and asks
   * its host to stop it.
   */
  readonly #limiter = new Limiter<QueueCall>({
    nameOf: (call) => callableName(call.fn),
    hasStarted: () => true, // no deadline is armed here
    stopRunning: (call, reason) => this.#stopRunning(call, reason),
  });

  constructor(options: QueueExecutorOptions) {
    super();
    const checked = checkOptions<QueueExecutorOptions>(
      options,
      'options',
      QUEUE_EXECUTOR_OPTION_KEYS,
      'new QueueExecutor()',
    );
    this.#connection = checkConnection(checked.connection);
    this.#queueName = checkKeyName(checked.queue, 'queue');
    this.#prefix =
      checked.prefix === undefined || checked.prefix === null
        ? 'bull'
        : checkKeyName(checked.prefix, 'prefix');
    this.#maxPending =
      checkPositiveInteger(checked.maxPending, 'maxPending') ?? DEFAULT_MAX_PENDING;
    this.#refillBatch = Math.max(1, Math.floor(this.#maxPending / 4));
    this.#maxResultBytes =
      checkPositiveInteger(checked.maxResultBytes, 'maxResultBytes') ?? DEFAULT_MAX_RESULT_BYTES;
    this.#unreachableTimeout =
      checkTimeout(checked.unreachableTimeout, 'unreachableTimeout') ?? DEFAULT_UNREACHABLE_TIMEOUT;
    this.#reconcileAfter =
      checkTimeout(checked.reconcileAfter, 'reconcileAfter') ?? DEFAULT_RECONCILE_AFTER;
    checkTimeout(checked.endGraceMs, 'endGraceMs'); // the host's matter; accepted for a drop-in switch
    if (
      checked.projectRoot !== undefined &&
      checked.projectRoot !== null &&
      typeof checked.projectRoot !== 'string'
    ) {
      throw new TypeError(
        `Expected \`projectRoot\` to be a directory path, got ${describe(checked.projectRoot)}.`,
      );
    }
    this.#projectRoot = checkedProjectRoot(checked.projectRoot ?? undefined, 'projectRoot');
    this.#link = new RedisLink(this.#connection, this.#queueName, this.#prefix, {
      outstanding: () => this.#outstanding,
      completed: (jobId, result) => this.#onCompleted(jobId, result),
      failed: (jobId, failedReason) => this.#onFailed(jobId, failedReason),
      removed: (jobId) => this.#onRemoved(jobId),
      reconnected: () => void this.#watchdog.reconcile([...this.#inRedis.values()]),
    });
    this.#watchdog = new Watchdog(
      {
        inRedis: this.#inRedis,
        queue: () => this.#link.queue,
        client: () => this.#link.connections?.client,
        downSince: () => this.#link.downSince,
        completed: (jobId, result) => this.#onCompleted(jobId, result),
        failed: (jobId, failedReason) => this.#onFailed(jobId, failedReason),
        unreachable: (downFor, silent) => this.#failEverything(downFor, silent),
      },
      this.#unreachableTimeout,
      this.#reconcileAfter,
    );
  }

  override submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>> {
    this.checkSubmit(fn);
    return this.#enqueue(fn as ModuleFunction, args, undefined, undefined).future;
  }

  /** What is queued here, what is in Redis, and how many calls ended each way. */
  stats(): QueueExecutorStats {
    // A call cancelled on the line is counted over only when the pump reaches it (which waits for
    // room in Redis): counted as cancelled here already, as the pools count theirs.
    let cancelledOnLine = 0;
    for (const call of this.#line) if (!call.counted && call.future.cancelled()) cancelledOnLine++;
    return {
      calls: {
        queued: this.#outstanding - this.#inRedis.size - cancelledOnLine,
        running: this.#inRedis.size,
        ...this.#counters,
        cancelled: this.#counters.cancelled + cancelledOnLine,
      },
    };
  }

  /** Resolves once no call is queued here or pending in Redis. */
  onIdle(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  protected override submitLimited(
    fn: Callable,
    args: unknown[],
    limits: CallLimits,
  ): LimitedCall<any> {
    this.checkSubmit(fn);
    return this.#enqueue(fn as ModuleFunction, args, limits, undefined).limited!;
  }

  protected override submitChunk(
    fn: Callable,
    arity: number,
    flatArgs: unknown[],
    limits: CallLimits | undefined,
  ): Future<unknown[]> | LimitedCall<any> {
    const call = this.#enqueue(fn as ModuleFunction, flatArgs, limits, arity);
    return call.limited ?? call.future;
  }

  /** A limited call in Redis is being ended (its future fails right after): its host is asked to stop it. */
  #stopRunning(call: QueueCall, reason: unknown): void {
    const id = call.id;
    if (id !== undefined && this.#inRedis.get(id) === call) {
      this.#inRedis.delete(id);
      this.#endRemote(id, reason);
    }
    this.#settled(call, 'failed');
  }

  protected override cancelPendingCalls(): void {
    // Only the calls still on the line: those in Redis count as running.
    for (const call of this.#line) call.future.cancel();
    this.#schedulePump(); // counts them over once it runs (with room in Redis); stats() at once
  }

  protected override async startShutdown(): Promise<void> {
    await this.onIdle();
    await this.#close();
  }

  // ── Submission ──────────────────────────────────────────────────────────────────────────

  /** submit's checks, and one more: only references travel (map() makes it too, before any submit). */
  protected override checkSubmit(fn: unknown): void {
    super.checkSubmit(fn);
    if (!isModuleFunction(fn)) {
      throw new TypeError(
        `A QueueExecutor runs only fromModule() references, got ${describe(fn)}. Redis is a network ` +
          `service, so a queue never carries code to run: export the function from a module that the ` +
          `worker hosts allow (--allow), and submit fromModule(new URL('./module.js', import.meta.url), 'name').`,
      );
    }
  }

  #enqueue(
    fn: ModuleFunction,
    args: unknown[],
    limits: CallLimits | undefined,
    arity: number | undefined,
  ): QueueCall {
    refuseFutureArguments(args, arity !== undefined);
    const future = new Future<unknown>();
    const call = new QueueCall(future, fn, args, arity);
    if (this.#outstanding++ === 0) this.#link.idle(false);
    this.#line.push(call);
    // After it is on the line: a signal aborted already ends it at once, and the pump counts it.
    if (limits !== undefined) call.limited = this.#limiter.limit(future, limits, call);
    this.#schedulePump();
    return call;
  }

  #schedulePump(): void {
    // In a microtask: no call starts inside submit(), and one addBulk carries a whole tick's calls.
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(this.#pump);
  }

  readonly #pump = (): void => {
    this.#pumpScheduled = false;
    if (this.#link.closed) return;
    this.#watchdog.start();
    // Refilled in batches: with the line longer than Redis has room for, calls wait here until a
    // quarter of maxPending is free. Each settling event would otherwise send its own addBulk of a
    // few jobs (a MULTI each: 740 of them for 10,000 trivial calls, a good part of the producer's
    // time), and the hosts keep at least 3/4 of maxPending to take meanwhile.
    const room = this.#maxPending - this.#inRedis.size;
    if (room < Math.min(this.#line.length, this.#refillBatch)) return;
    const jobs: Array<{ name: string; data: CallJobData; opts: { jobId: string } }> = [];
    const calls: QueueCall[] = [];
    while (this.#inRedis.size < this.#maxPending) {
      const call = this.#line.shift();
      if (call === undefined) break;
      if (!call.future.setRunningOrNotifyCancel()) {
        this.#settled(call, 'cancelled');
        continue;
      }
      let data: CallJobData;
      try {
        data = this.#jobData(call);
      } catch (error) {
        this.#settle(call, () => call.future.setException(error), 'failed');
        continue;
      }
      call.id = `${this.#idPrefix}-${this.#nextId++}`;
      call.data = data;
      // In the map before the job exists: a fast host's event must find its call. From here the
      // watchdog also covers it, should Redis never be reached.
      call.heardAt = performance.now();
      this.#inRedis.set(call.id, call);
      calls.push(call);
      jobs.push({ name: JOB_NAME, data, opts: { jobId: call.id } });
    }
    if (jobs.length > 0) void this.#add(jobs, calls);
  };

  /**
   * A module's name in jobs, worked out once per module: a path from the project root costs a
   * URL parse and a path.relative(), a few microseconds that a trivial call should not pay each time.
   */
  #moduleName(specifier: string): string {
    let name = this.#moduleNames.get(specifier);
    if (name === undefined) {
      name = jobModuleName(specifier, this.#projectRoot); // throws for a module outside the root: not kept
      if (this.#moduleNames.size >= 1000) this.#moduleNames.clear(); // stay bounded
      this.#moduleNames.set(specifier, name);
    }
    return name;
  }

  #jobData(call: QueueCall): CallJobData {
    const data: CallJobData = {
      v: 1,
      m: this.#moduleName(call.fn.module),
      e: call.fn.exportName,
      a: encodeArguments(call),
      r: this.#maxResultBytes,
    };
    if (call.arity !== undefined) data.k = call.arity;
    if (call.limited?.timeout !== undefined) data.t = call.limited.timeout;
    return data;
  }

  async #add(
    jobs: Array<{ name: string; data: CallJobData; opts: { jobId: string } }>,
    calls: QueueCall[],
  ): Promise<void> {
    try {
      await this.#link.start();
      // Calls ended while Redis was being reached are not sent at all.
      const live = jobs.filter((_, index) => this.#inRedis.get(calls[index]!.id!) === calls[index]);
      if (live.length > 0) await this.#link.queue!.addBulk(live.map(withKeepOptions));
    } catch (error) {
      for (const call of calls) {
        if (this.#inRedis.get(call.id!) !== call) continue;
        this.#inRedis.delete(call.id!);
        const failure = new Error(`Could not add the call to Redis: ${messageOf(error)}`, {
          cause: error,
        });
        this.#settle(call, () => call.future.setException(failure), 'failed');
      }
    }
  }

  // ── Events ──────────────────────────────────────────────────────────────────────────────

  #onCompleted(jobId: string, result: CallJobResult): void {
    const call = this.#inRedis.get(jobId);
    if (call === undefined) return; // another producer's job, or one already settled
    this.#inRedis.delete(jobId);
    this.#settleFromResult(call, result);
  }

  #onFailed(jobId: string, failedReason: string): void {
    const call = this.#inRedis.get(jobId);
    if (call === undefined) return;
    this.#inRedis.delete(jobId);
    this.#settle(call, () => call.future.setException(jobFailure(call, failedReason)), 'failed');
  }

  #onRemoved(jobId: string): void {
    const call = this.#inRedis.get(jobId);
    if (call === undefined) return; // we removed it ourselves (its signal), or not ours
    this.#inRedis.delete(jobId);
    this.#settle(
      call,
      () =>
        call.future.setException(
          new Error(
            `The job ${jobId} of ${callableName(call.fn)} was removed from the queue by someone else before it finished.`,
          ),
        ),
      'failed',
    );
  }

  #settleFromResult(call: QueueCall, result: CallJobResult): void {
    let outcome: { value: unknown } | { error: unknown };
    try {
      outcome = this.#decodeResult(call, result);
    } catch (error) {
      outcome = {
        error: new Error(
          `The result of ${callableName(call.fn)} could not be read back: ${messageOf(error)}`,
          {
            cause: error,
          },
        ),
      };
    }
    if ('value' in outcome)
      this.#settle(call, () => call.future.setResult(outcome.value), 'completed');
    else this.#settle(call, () => call.future.setException(outcome.error), 'failed');
  }

  #decodeResult(call: QueueCall, result: CallJobResult): { value: unknown } | { error: unknown } {
    if (result === null || typeof result !== 'object') {
      throw new Error(`the host sent ${describe(result)}, not a result of concurrent-futures`);
    }
    if ('ok' in result) {
      if (decodedLength(result.ok) > this.#maxResultBytes) {
        return { error: tooLarge(call, decodedLength(result.ok), this.#maxResultBytes) };
      }
      return { value: decodeValue(result.ok) };
    }
    if ('chunkErr' in result) {
      return {
        error: new ChunkFailure(
          decodeValue(result.done) as unknown[],
          decodeError(result.chunkErr),
        ),
      };
    }
    if ('err' in result) return { error: decodeError(result.err) };
    throw new Error('the host sent a result of an unknown shape');
  }

  /** Ends a call's job wherever it is: every host hears it (a running one is ended), and a waiting one is removed. */
  #endRemote(id: string, reason: unknown): void {
    const connections = this.#link.connections;
    if (connections === undefined) return;
    const message: CancelMessage = { id, reason: encodeError(reason) };
    // Published first: a host that takes the job between the two hears of it when it starts it.
    connections.client
      .publish(cancelChannel(this.#prefix, this.#queueName), JSON.stringify(message))
      .catch(ignore);
    this.#link.queue?.remove(id).catch(ignore); // refused while a host holds its lock: the message ends it
  }

  /**
   * Redis unreachable for longer than unreachableTimeout (its connection lost, or `silent`: open
   * but not answering): every pending call fails (the watchdog's call).
   */
  #failEverything(downForMs: number, silent: boolean): void {
    const downFor = Math.round(downForMs);
    const where = this.#link.connections?.where ?? String(this.#connection);
    const how = silent
      ? `did not answer for ${downFor} ms, its connection still open (a frozen server, or a network that drops its packets)`
      : `could not be reached for ${downFor} ms`;
    const error = (): Error =>
      new Error(
        `Redis at ${where} ${how} (the QueueExecutor's unreachableTimeout ` +
          `is ${this.#unreachableTimeout} ms), so this call's outcome is unknown. Check that Redis runs and ` +
          `that the URL is right. A call already in Redis may still run on a host.`,
      );
    const inRedis = [...this.#inRedis.values()];
    this.#inRedis.clear();
    for (const call of inRedis)
      this.#settle(call, () => call.future.setException(error()), 'failed');
    for (let call = this.#line.shift(); call !== undefined; call = this.#line.shift()) {
      this.#settle(call, () => call.future.setException(error()), 'failed');
    }
  }

  // ── Settling ─────────────────────────────────────────────────────────────────────────────

  /** Settles a call's future (once: a done future is left alone) and counts it over. */
  #settle(call: QueueCall, settle: () => void, outcome: 'completed' | 'failed'): void {
    // Counted before the future settles: its done callbacks may read stats().
    const counted = this.#count(call, outcome);
    if (!call.future.done()) settle();
    if (counted) this.#afterCounted();
  }

  #settled(call: QueueCall, outcome: 'completed' | 'failed' | 'cancelled'): void {
    if (this.#count(call, outcome)) this.#afterCounted();
  }

  /** Counts a call over, once: false if it was already. */
  #count(call: QueueCall, outcome: 'completed' | 'failed' | 'cancelled'): boolean {
    if (call.counted) return false;
    call.counted = true;
    this.#counters[outcome]++;
    this.#outstanding--;
    return true;
  }

  #afterCounted(): void {
    if (this.#line.length > 0) this.#schedulePump();
    if (this.#outstanding === 0) {
      this.#watchdog.stop();
      this.#link.idle(true);
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  async #close(): Promise<void> {
    this.#watchdog.stop();
    await this.#link.close();
  }
}
