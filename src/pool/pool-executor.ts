// The pool core that ThreadPoolExecutor and ProcessPoolExecutor share: the public API and the
// workers' lifecycle (starts, messages, exits, breakage, shutdown). Moving calls (queue, windows,
// batches, completion, taking back, handing back) is Dispatcher's job (dispatch.ts). How a call
// flows:
//
//   submit(fn, ...args)
//     │  checks, then the function is named once per pool (CallableRegistry → CallableDef)
//     ▼
//   queue (Deque<Call>) ──dispatch, in a microtask──▶ a worker's window
//     │   - an idle worker first; else a new worker (up to maxWorkers); else the least loaded
//     │     worker with room in the hand-ahead window of the call's function
//     │   - every call taken in one dispatch goes in ONE 'run' message per worker, with the
//     │     defs of functions this worker has not seen yet
//     ▼
//   worker (WorkerRuntime) runs the calls in order, and sends results back in batches ('done')
//     │
//     ▼
//   complete: the n-th result is the n-th call in the worker's inFlight deque → its future
//
// The hand-ahead window (calls of one function a worker holds, running or queued) is judged per
// function: 2 for a function not yet measured — one running, one ahead, Python's bound — growing to
// about a millisecond of work once the workers report how long its calls take, so fast calls
// travel in large batches; calls slower than 10 ms are not handed ahead at all. A wrong guess is
// undone: an idle thread takes back calls a busy one has not started (start flags), and a child
// hands back the calls it holds behind a call far past its usual time (see docs/design.md).
// Whether a call handed ahead can still be cancelled is the transport's business (PoolWorker).

import type { Callable } from '../callable.js';
import type { BrokenExecutor } from '../errors.js';
import { Executor } from '../executor.js';
import { Future, setRemoteStart } from '../future.js';
import { refuseFutureArguments } from '../forgotten-await.js';
import { refuseSubmitWhileImported } from '../import-guard.js';
import { decodeThrown, type EncodedThrown } from '../protocol/errors.js';
import type { CallableDef, FromWorker } from '../protocol/messages.js';
import { Call } from './call.js';
import { CallableRegistry } from './callable-registry.js';
import type { CallLimits, LimitedCall } from '../limits/limited-call.js';
import { PoolLimits } from './limit-adapter.js';
import { Dispatcher } from './dispatch.js';
import { describeError } from '../describe-error.js';
import type { TransferItem } from '../transfer.js';
import type { PoolWorker, PoolWorkerEvents, WorkerExit } from './pool-worker.js';
import { encodeThrown } from '../protocol/errors.js';
import type { ExecutorStats } from '../stats.js';
import { DEFAULT_END_GRACE_MS } from './settings.js';
import { clearTimeout, performance, setTimeout } from '../timers.js';

export interface PoolSettings {
  maxWorkers: number;
  initializer: Callable | undefined;
  initargs: unknown[];
  /** Calls a worker runs before it is replaced (Infinity: never). */
  maxTasksPerWorker: number;
  /** How long an ended call may take to stop by itself before its worker is ended (Infinity: never). */
  endGraceMs: number;
  /** Workers started at construction (startMinWorkers) and kept while idle. */
  minWorkers: number;
  /** Milliseconds an idle worker beyond minWorkers waits before it exits (Infinity: never). */
  idleTimeout: number;
}

// A pool dropped without shutdown() lets its idle workers go, as Python's executors do when they are
// collected. Its workers reach it only through a WeakRef (their events), so an idle pool can be
// collected; a pool with work (calls queued or in flight, a shutdown to finish) is held here until
// idle, so that calls already submitted still finish and their futures settle.
const poolsAtWork = new Set<PoolExecutor>();
/** Every pool not shut down, for the exit hook (see #retireIdleAtExit); a WeakRef lets a dropped pool go. */
const livePools = new Set<WeakRef<PoolExecutor>>();
let exitHookInstalled = false;
/** The exit hook acts once per process (see #retireIdleAtExit). */
let exitHookRan = false;
/** Pools that broke: for code of this package that must tell its pool's breakage from a call's error. */
const brokenPools = new WeakSet<object>();

/** Whether `executor` is a pool of this package that broke (a call may throw a Broken* of its own). */
export function isBrokenPool(executor: object): boolean {
  return brokenPools.has(executor);
}
const droppedPools = new FinalizationRegistry<{
  workers: Set<PoolWorker>;
  self: WeakRef<PoolExecutor>;
}>(({ workers, self }) => {
  for (const worker of workers) worker.letGo();
  livePools.delete(self);
});

export abstract class PoolExecutor extends Executor {
  readonly #maxTasksPerWorker: number;
  readonly #registry = new CallableRegistry();
  readonly #initializer: CallableDef | undefined;
  readonly #initargs: unknown[];
  readonly #limits: PoolLimits;
  readonly #dispatcher: Dispatcher;
  readonly #workers = new Set<PoolWorker>();
  readonly #events: PoolWorkerEvents;
  #broken: { message: string; cause: unknown } | undefined = undefined;
  #onTerminated: (() => void) | undefined = undefined;
  #heldAtWork = false; // in poolsAtWork (see there)
  #self: WeakRef<PoolExecutor>;
  /** Idle workers were stopped at the process's exit (see #retireIdleAtExit): minWorkers waits. */
  #retiredAtExit = false;
  readonly #maxWorkers: number;
  readonly #endGraceMs: number;
  readonly #minWorkers: number;
  readonly #idleTimeout: number;
  /** Calls (and map's chunks) submitted: the one stats counter on the submit path. */
  #submitted = 0;
  readonly #createdAt = performance.now();
  /** onIdle()'s promises, resolved once nothing is queued or held by a worker. */
  #idleWaiters: Array<() => void> = [];
  /** Workers in a row that died holding nothing, before they ran any call (see #onExit). */
  #idleDeaths = 0;
  /** Workers stopped by their idle clock, unref'd while nothing waits for their exit (see fellIdle). */
  readonly #quietlyStopping = new Set<PoolWorker>();

  protected constructor(settings: PoolSettings) {
    super();
    this.#maxTasksPerWorker = settings.maxTasksPerWorker;
    this.#maxWorkers = settings.maxWorkers;
    this.#endGraceMs = settings.endGraceMs;
    this.#minWorkers = settings.minWorkers;
    this.#idleTimeout = settings.idleTimeout;
    this.#limits = new PoolLimits(settings.endGraceMs, (worker) =>
      this.#dispatcher.takeBackAll(worker),
    );
    this.#dispatcher = new Dispatcher(
      {
        workers: this.#workers,
        maxWorkers: settings.maxWorkers,
        // A subclass's field: read when needed, as it is set only after this constructor.
        takesCallsBack: () => this.takesCallsBack,
        isBroken: () => this.#broken !== undefined,
        startWorker: () => this.#startWorker(),
        afterDispatch: () => {
          if (this.#quietlyStopping.size > 0 && this.#dispatcher.queue.length > 0)
            this.#awaitQuietStops();
          this.#maybeFinishShutdown();
          this.#releaseIfIdle();
          if (this.#idleWaiters.length > 0) this.#settleIdleWaiters();
        },
      },
      this.#limits,
    );
    this.#initializer =
      settings.initializer === undefined ? undefined : this.#registry.resolve(settings.initializer);
    this.#initargs = settings.initargs;
    const self = new WeakRef(this);
    this.#events = PoolExecutor.#eventsOf(self);
    droppedPools.register(this, { workers: this.#workers, self });
    this.#self = self;
    livePools.add(self);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('beforeExit', PoolExecutor.#retireIdleAtExit);
    }
  }

  /**
   * The process is about to exit: no call runs anywhere (a working worker is ref'd), and idle
   * workers are unref'd so that a program need not call shutdown(). What they printed could still
   * be on its way: a worker thread's stdout and stderr reach this process as messages on its port,
   * which an unref'd port leaves unread when the process ends (a script without shutdown() lost 13
   * of 20 lines), and a child killed at the exit loses what it had not written to its pipe. So idle
   * workers are stopped here, ref'd, for at most EXIT_DRAIN_MS: Node delivers a thread's output
   * before its 'exit', and a child writes its own before it exits (child-output.ts); as Python joins
   * its workers at exit. Once per process: a later 'beforeExit' (a timer left unref'd that submits
   * again) must not keep the process going round. The pools stay usable.
   */
  static readonly #retireIdleAtExit = (): void => {
    if (exitHookRan) return;
    exitHookRan = true;
    for (const ref of livePools) {
      const pool = ref.deref();
      if (pool === undefined || pool.isShutdown) livePools.delete(ref);
      else pool.#retireIdleWorkers();
    }
  };

  #retireIdleWorkers(): void {
    this.#retiredAtExit = true; // none is replaced (minWorkers) until the next submit
    const waited = [...this.#quietlyStopping];
    this.#quietlyStopping.clear();
    // Not a worker still in its initializer (it has printed nothing of a call's yet).
    for (const worker of this.#workers)
      if (worker.life === 'working' && worker.ready && worker.inFlight.length === 0) {
        worker.stop(false);
        waited.push(worker);
      }
    for (const worker of waited) worker.ref();
    // Bounded: a worker whose loop a call left busy (a timer running sync code) never reads its
    // 'stop', and must not keep the process alive; after the bound it is let go as before.
    const letGo = setTimeout(() => {
      for (const worker of waited) {
        if (!this.#workers.has(worker)) continue; // exited
        worker.unref();
        this.#quietlyStopping.add(worker); // refd again if something comes to wait for its exit
      }
    }, EXIT_DRAIN_MS);
    letGo.unref();
  }

  /**
   * The handlers the workers call, reaching the pool through a WeakRef: a live worker must not keep
   * an idle pool from being collected. Made here, not in the constructor: closures made there
   * share its context, which holds `this` for the others (the dispatcher's host), and would hold
   * the pool after all.
   */
  static #eventsOf(pool: WeakRef<PoolExecutor>): PoolWorkerEvents {
    return {
      message: (worker, message) => {
        const self = pool.deref();
        if (self !== undefined) self.#onMessage(worker, message);
      },
      exit: (worker, exit) => {
        const self = pool.deref();
        if (self !== undefined) self.#onExit(worker, exit);
      },
    };
  }

  /** Starts one worker of this pool's kind. */
  protected abstract createWorker(
    initializer: CallableDef | undefined,
    initargs: unknown[],
    events: PoolWorkerEvents,
  ): PoolWorker;

  /** A new instance of this pool's broken error. */
  protected abstract newBrokenError(message: string, cause: unknown): BrokenExecutor;

  /** Whether a worker that dies breaks the pool (processes, as in Python) or is just replaced (threads). */
  protected abstract readonly deathBreaksPool: boolean;

  /**
   * Whether a call handed ahead to a busy worker can be taken back unstarted (threads: by its
   * start flag) or counts as running once sent (processes). Where it can, a call with a timeout or
   * a signal may be handed ahead (its start is exact, and the calls behind it can be taken back if
   * it must be ended); where it cannot, a limited call goes only to a free worker, alone, and a
   * pool of several workers hands ahead only calls of functions measured fast (see Dispatcher).
   */
  protected abstract readonly takesCallsBack: boolean;

  /**
   * The message for the calls a dead worker took with it (or for the broken pool); `hadCalls`:
   * whether it held any call not yet settled when it died.
   */
  protected abstract describeDeath(worker: PoolWorker, exit: WorkerExit, hadCalls: boolean): string;

  /** submit's checks, and one more: no submit from a module a worker is importing (see import-guard.ts). */
  protected override checkSubmit(fn: unknown): void {
    super.checkSubmit(fn);
    refuseSubmitWhileImported(fn);
  }

  submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>> {
    this.checkSubmit(fn);
    refuseFutureArguments(args);
    const future = new Future<Awaited<R>>();
    this.#submitted++;
    this.#dispatcher.queue.push(new Call(future, this.#registry.resolve(fn), args, false));
    if (!this.#heldAtWork) this.#holdAtWork();
    this.#dispatcher.schedule();
    return future;
  }

  protected override submitChunk(
    fn: Callable,
    arity: number,
    flatArgs: unknown[],
    limits: CallLimits | undefined,
  ): Future<unknown[]> | LimitedCall<any> {
    this.checkSubmit(fn);
    refuseFutureArguments(flatArgs, true);
    const call = new Call(
      new Future<unknown[]>(),
      this.#registry.resolve(fn),
      [arity, flatArgs],
      true,
    );
    const limited = limits === undefined ? undefined : this.#limits.limit(call, limits);
    this.#enqueue(call);
    return limited ?? call.future;
  }

  protected override submitLimited(
    fn: Callable,
    args: unknown[],
    limits: CallLimits,
  ): LimitedCall<any> {
    this.checkSubmit(fn);
    refuseFutureArguments(args);
    const call = new Call(new Future(), this.#registry.resolve(fn), args, false);
    const limited = this.#limits.limit(call, limits);
    this.#enqueue(call);
    return limited;
  }

  protected override submitTransferring(
    fn: Callable,
    args: unknown[],
    limits: CallLimits | undefined,
    transfer: readonly TransferItem[],
  ): Future<any> {
    this.checkSubmit(fn);
    refuseFutureArguments(args);
    const call = new Call(new Future(), this.#registry.resolve(fn), args, false);
    call.transfer = transfer;
    if (limits !== undefined) this.#limits.limit(call, limits);
    this.#enqueue(call);
    return call.future;
  }

  /** Queues a call that is not a plain submit (limited, a chunk, moving a transfer list). */
  #enqueue(call: Call): void {
    this.#submitted++;
    this.#dispatcher.queue.push(call);
    if (!this.#heldAtWork) this.#holdAtWork();
    this.#dispatcher.schedule();
  }

  /**
   * Starts `minWorkers` workers now: each subclass calls it last in its constructor (a worker
   * needs the subclass's fields). They wait unref'd: an idle pool never keeps the process alive.
   */
  protected startMinWorkers(): void {
    for (let i = 0; i < this.#minWorkers && this.#broken === undefined; i++) {
      const worker = this.#startWorker();
      worker?.unref();
    }
  }

  /**
   * What the pool is doing: its workers, its calls by state, how busy it has been, and how long
   * calls ran and waited (approximate percentiles). A snapshot; counting it walks the queue and the
   * calls the workers hold, so it suits polling, not a call per submit.
   */
  stats(): ExecutorStats {
    const dispatcher = this.#dispatcher;
    let queued = 0;
    let running = 0;
    let cancelledHeld = 0; // cancelled, not yet let go: still in the queue or a worker's hands
    let busy = 0;
    for (const call of dispatcher.queue) {
      // A call a child handed back was handed to a worker once and is RUNNING: it counts so.
      if (!call.future.done()) {
        if (call.handedBack) running++;
        else queued++;
      } else if (call.future.state === 'CANCELLED') cancelledHeld++;
    }
    for (const worker of this.#workers) {
      let holds = false;
      for (const call of worker.inFlight) {
        if (call.takenBack) continue; // a stand-in: the call itself is elsewhere
        holds = true;
        if (!call.future.done()) running++;
        else if (call.future.state === 'CANCELLED') cancelledHeld++;
      }
      if (holds) busy++;
    }
    const cancelled = dispatcher.cancelled + cancelledHeld;
    const completed = dispatcher.completed;
    // Every other settled call failed, wherever that happened (a worker, a timeout, a broken
    // pool, arguments that could not travel): counted by difference, so no failure path is missed.
    const failed = this.#submitted - completed - cancelled - queued - running;
    const elapsed = performance.now() - this.#createdAt;
    return {
      workers: { alive: this.#workers.size, busy },
      calls: { queued, running, completed, failed, cancelled },
      utilization: elapsed > 0 ? Math.min(1, dispatcher.busyMs / (elapsed * this.#maxWorkers)) : 0,
      runTime: dispatcher.runTimes.summary(),
      waitTime: dispatcher.waitTimes.summary(),
    };
  }

  /** Resolves once no call is queued or held by a worker (at once if none is), as p-queue's onIdle(). */
  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    if (this.#dispatcher.queue.length > 0) return false;
    for (const worker of this.#workers) if (worker.inFlight.length > 0) return false;
    return true;
  }

  #settleIdleWaiters(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The ids (threadId or pid) of the workers alive now. */
  get workerIds(): number[] {
    return [...this.#workers].map((worker) => worker.id);
  }

  protected override brokenError(): Error | undefined {
    return this.#broken === undefined
      ? undefined
      : this.newBrokenError(this.#broken.message, this.#broken.cause);
  }

  protected override startShutdown(): Promise<void> {
    this.#holdAtWork(); // whoever awaits shutdown() must see it resolve, pool dropped or not
    this.#awaitQuietStops();
    return new Promise<void>((resolve) => {
      this.#onTerminated = resolve;
      this.#maybeFinishShutdown();
    });
  }

  protected override cancelPendingCalls(): void {
    for (const call of this.#dispatcher.queue) call.future.cancel();
    // A thread worker has not started every call it holds: those can still be cancelled exactly.
    for (const worker of this.#workers) for (const call of worker.inFlight) call.future.cancel();
    this.#dispatcher.schedule();
  }

  /**
   * Ends every worker after a grace: calls not started are cancelled, running ones fail now with
   * `why` and their currentSignal() aborts; a worker still running one after endGraceMs is ended.
   */
  protected endAllWorkersAfterGrace(why: string): Promise<void> {
    const terminated = this.shutdown({ wait: true, cancelFutures: true });
    this.#failHandedBackCalls(why);
    const ending = [...this.#workers];
    for (const worker of ending) {
      for (const call of worker.inFlight) {
        // A call the thread finished keeps its future until its result arrives (or the thread's
        // exit says it was lost): it was not cut off.
        if (call.future.done() || worker.hasFinished(call.seq)) continue;
        const error = this.newBrokenError(why, undefined);
        call.future.setException(error);
        try {
          worker.post({ t: 'abort', seq: call.seq, reason: encodeThrown(error, () => false) });
        } catch {
          // Its channel is gone: the exit follows.
        }
      }
      worker.ref(); // its exit must be seen, or the promise never resolves
    }
    if (this.#endGraceMs !== Infinity) {
      const timer = setTimeout(() => {
        for (const worker of ending) {
          if (worker.life === 'exited') continue;
          worker.advance('ending');
          worker.end();
        }
      }, this.#endGraceMs);
      void terminated.then(() => clearTimeout(timer));
    }
    return terminated;
  }

  /**
   * Ends every worker at once with `signal`: calls not started are cancelled, running ones fail. A
   * SIGTERM is followed by SIGKILL `endGraceMs` later: a child that ignores SIGTERM or is stopped
   * (SIGSTOP) would otherwise hold the promise, and the parent's event loop, forever.
   */
  protected endAllWorkers(signal: NodeJS.Signals | undefined, why: string): Promise<void> {
    const terminated = this.shutdown({ wait: true, cancelFutures: true });
    this.#failHandedBackCalls(why);
    for (const worker of this.#workers) {
      for (const call of worker.inFlight)
        if (!call.future.done() && !worker.hasFinished(call.seq))
          call.future.setException(this.newBrokenError(why, undefined));
      if (signal === 'SIGTERM' && this.#endGraceMs !== Infinity) {
        worker.endWithGrace(this.#endGraceMs); // refs it too: its exit must be seen
        continue;
      }
      worker.advance('ending');
      worker.ref(); // an idle (unref'd) worker's exit must still be seen, or the promise never resolves
      worker.end(signal);
    }
    return terminated;
  }

  /**
   * Calls a child handed back wait in the queue for a free worker, RUNNING: cancelFutures cannot
   * reach them. Ending the pool fails them as it fails the calls in the workers' hands, or a new
   * child would be started after terminateWorkers() / killWorkers() to run them.
   */
  #failHandedBackCalls(why: string): void {
    const queue = this.#dispatcher.queue;
    const failing: Call[] = [];
    for (const call of queue.drain()) {
      if (call.handedBack && !call.future.done()) failing.push(call);
      else queue.push(call);
    }
    // Settled once the queue is whole again: their done callbacks may cancel other calls (or call
    // shutdown() again), and must find them where the pool keeps them.
    for (const call of failing)
      if (!call.future.done()) call.future.setException(this.newBrokenError(why, undefined));
  }

  #holdAtWork(): void {
    this.#heldAtWork = true;
    this.#retiredAtExit = false;
    poolsAtWork.add(this);
  }

  /** Nothing queued, in flight or shutting down: the pool may be collected if the user dropped it. */
  #releaseIfIdle(): void {
    if (!this.#heldAtWork || this.#dispatcher.queue.length > 0 || this.#onTerminated !== undefined)
      return;
    for (const worker of this.#workers) if (worker.inFlight.length > 0) return;
    this.#heldAtWork = false;
    poolsAtWork.delete(this);
  }

  #startWorker(): PoolWorker | undefined {
    let worker: PoolWorker;
    try {
      worker = this.createWorker(this.#initializer, this.#initargs, this.#events);
    } catch (error) {
      // new Worker() or fork() threw (a value of the options that cannot travel after all, no more
      // threads or processes): this runs in a microtask, where a throw would be uncaught.
      this.#breakPool(
        `A worker could not be started (${describeError(error)}), so the pool is broken. ` +
          `Check the pool's options (initargs, execArgv, env, resourceLimits) and create a new executor.`,
        error,
      );
      return undefined;
    }
    worker.limitTasks(this.#maxTasksPerWorker);
    this.#workers.add(worker);
    return worker;
  }

  #workingCount(): number {
    let count = 0;
    for (const worker of this.#workers) if (worker.life === 'working') count++;
    return count;
  }

  // ── Messages ─────────────────────────────────────────────────────────────────────────────

  /**
   * After a dispatch: a worker left with nothing is unref'd and, with an idleTimeout, starts its idle
   * clock. Only then: a worker fed one call at a time (a process's limited calls) would otherwise be
   * unref'd and ref'd again at every call (calls into C++).
   */
  #noteIfIdle(worker: PoolWorker): void {
    if (worker.inFlight.length > 0 || worker.life !== 'working') return;
    worker.unref();
    if (this.#idleTimeout !== Infinity)
      worker.fellIdle(this.#idleTimeout, () => {
        if (this.#workingCount() <= this.#minWorkers) return;
        worker.stop(false); // unref'd: nothing waits for its exit yet
        this.#quietlyStopping.add(worker);
        if (this.#dispatcher.queue.length > 0 || this.isShutdown) this.#awaitQuietStops();
      });
  }

  /**
   * Something now waits for the exits of workers stopped by their idle clock (a shutdown(), calls
   * queued while they hold places under maxWorkers): they are ref'd, or the process could end
   * under the pending promise.
   */
  #awaitQuietStops(): void {
    for (const worker of this.#quietlyStopping) worker.ref();
    this.#quietlyStopping.clear();
  }

  #onMessage(worker: PoolWorker, message: FromWorker): void {
    if (message.t === 'started') {
      worker.markReported();
      this.#limits.started(worker, message.seq);
    } else if (message.t === 'willSkip') {
      this.#limits.willSkip(worker, message.seq);
    } else if (message.t === 'done') {
      // A worker on its way out sends an empty 'done' (see flushResults): that reports no call.
      if (message.results.length > 0) {
        worker.markReported();
        this.#idleDeaths = 0;
      }
      this.#dispatcher.complete(worker, message);
      this.#dispatcher.run();
      this.#noteIfIdle(worker);
    } else if (message.t === 'handBack') {
      this.#dispatcher.takeHandedBack(worker, message.from, message.count);
      // Still running: it holds the worker alone (nothing is handed to it) until it reports back.
      const running = message.stillRunning === true ? worker.inFlight.peek() : undefined;
      if (running !== undefined && !running.future.done()) worker.holdAlone(running);
      this.#dispatcher.run();
      this.#noteIfIdle(worker);
    } else if (message.t === 'ready') {
      worker.markReady();
    } else if (message.t === 'initFailed') {
      this.#breakPool(
        'The initializer failed in a worker, so this pool cannot run calls (its error is the cause). Fix the initializer and create a new executor.',
        decodeThrown(message.error as EncodedThrown),
      );
    }
  }

  // ── Exits, breakage, shutdown ────────────────────────────────────────────────────────────

  #onExit(worker: PoolWorker, exit: WorkerExit): void {
    const lifeBefore = worker.life;
    // Its limited call already failed (timeout or signal) but has not reported back: the worker is
    // being ended, and may exit by itself during the grace (a call that exits on abort). That is no
    // death: it must not break a process pool.
    const beingEnded = worker.noteExit();
    this.#workers.delete(worker);
    this.#quietlyStopping.delete(worker);
    const lost = worker.inFlight.drain();
    const died =
      lifeBefore !== 'ending' &&
      !beingEnded &&
      (lifeBefore !== 'stopping' || lost.some((call) => !call.future.done()));
    if (died && !worker.ready && this.#broken === undefined) {
      // A worker that cannot start (its entry fails to load, its initializer kills it) would be
      // replaced forever: the pool is broken instead.
      for (const call of lost)
        if (!call.future.done())
          call.future.setException(this.newBrokenError(startFailure(worker, exit), exit.error));
      this.#breakPool(startFailure(worker, exit), exit.error);
    } else if (died && this.#broken === undefined) {
      const message = this.describeDeath(
        worker,
        exit,
        lost.some((call) => !call.future.done()),
      );
      // A thread that dies before it has run anything would be replaced, and die, forever.
      const beforeAnyCall =
        !worker.reported && !lost.some((call) => !call.future.done() && call.future.running());
      const outOfMemory = (exit.error as { code?: unknown } | undefined)?.code === OUT_OF_MEMORY;
      if (this.deathBreaksPool || (beforeAnyCall && !outOfMemory)) {
        // Nothing of a call's ran in that thread: what killed it was left there by its initializer
        // (a promise it did not await, a timer that throws) or by a preload.
        const why = this.deathBreaksPool ? message : leftBehindFailure(worker, exit);
        for (const call of lost)
          if (!call.future.done()) call.future.setException(this.newBrokenError(why, exit.error));
        this.#breakPool(why, exit.error);
      } else {
        const heldNone = !lost.some((call) => !call.future.done());
        if (heldNone && exit.error !== undefined) warnIdleDeath(worker, exit);
        this.#recoverCalls(worker, lost, () => new Error(message, { cause: exit.error }), exit);
        // Out of memory before any call, holding none: an initializer that fills the heap, with
        // minWorkers replacing the thread at once. A few in a row break the pool.
        if (beforeAnyCall && !lost.some((call) => !call.future.done())) {
          if (++this.#idleDeaths >= MAX_IDLE_DEATHS)
            this.#breakPool(leftBehindFailure(worker, exit), exit.error);
        }
      }
    } else {
      this.#recoverCalls(worker, lost, () =>
        this.newBrokenError('The worker was ended while running this call.', undefined),
      );
    }
    if (this.#dispatcher.queue.length > 0) this.#dispatcher.schedule();
    this.#keepMinWorkers();
    this.#maybeFinishShutdown();
    this.#releaseIfIdle();
    if (this.#idleWaiters.length > 0) this.#settleIdleWaiters();
  }

  /** A worker left (a death, maxTasksPerChild): warm workers below minWorkers are replaced. */
  #keepMinWorkers(): void {
    if (this.isShutdown || this.#broken !== undefined || this.#retiredAtExit) return;
    for (let count = this.#workingCount(); count < this.#minWorkers; count++) {
      const worker = this.#startWorker();
      if (worker === undefined) return;
      if (worker.inFlight.length === 0) worker.unref();
    }
  }

  /**
   * Calls a gone worker held: those it never started go back to the queue, in order; the one it ran
   * fails. A death out of memory while the worker ran none of them counts against the calls it
   * held: arguments too big for resourceLimits kill every thread that reads them, so a call that
   * has lost MAX_LOST_BEFORE_START workers that way fails instead of going round for ever. A death
   * while a call ran is that call's: the calls held behind it are innocent and go back as they are.
   */
  #recoverCalls(worker: PoolWorker, lost: Call[], failure: () => Error, death?: WorkerExit): void {
    const unstarted: Call[] = [];
    const ran: Call[] = [];
    const finished: Call[] = []; // run to their end, their results lost with the worker
    const cancelled: Call[] = [];
    for (const call of lost) {
      const future = call.future;
      if (future.done()) {
        if (future.state === 'CANCELLED') cancelled.push(call);
      } else if (future.state === 'PENDING' && worker.preventStart(call.seq, true)) {
        setRemoteStart(future, undefined);
        call.limited?.unstarted(); // its time begins when it starts elsewhere
        unstarted.push(call);
      } else if (worker.hasFinished(call.seq)) {
        finished.push(call);
      } else {
        ran.push(call);
      }
    }
    const countsAgainstThem =
      death !== undefined &&
      ran.length === 0 &&
      (death.error as { code?: unknown } | undefined)?.code === OUT_OF_MEMORY;
    const again: Call[] = [];
    const givenUp: Call[] = [];
    for (const call of unstarted) {
      if (countsAgainstThem && ++call.lostBeforeStart >= MAX_LOST_BEFORE_START) givenUp.push(call);
      else again.push(call);
    }
    // Back in the queue before any future settles: a done callback that calls shutdown() (with
    // cancelFutures, say) must find them there, not in neither place.
    for (let i = again.length - 1; i >= 0; i--) this.#dispatcher.queue.unshift(again[i]!);
    this.#dispatcher.cancelled += cancelled.length;
    for (const call of cancelled) call.future.setRunningOrNotifyCancel();
    for (const call of ran) if (!call.future.done()) call.future.setException(failure());
    for (const call of finished)
      if (!call.future.done()) call.future.setException(resultLostFailure(worker, death));
    for (const call of givenUp)
      if (!call.future.done()) call.future.setException(lostBeforeStartFailure(worker, death!));
  }

  #breakPool(message: string, cause: unknown): void {
    if (this.#broken !== undefined) return;
    this.#broken = { message, cause };
    brokenPools.add(this);
    for (const call of this.#dispatcher.queue.drain()) {
      const state = call.future.state;
      if (state === 'CANCELLED') {
        this.#dispatcher.cancelled++;
        call.future.setRunningOrNotifyCancel();
      } else if (state === 'PENDING') {
        // Never handed to a worker: nothing of it ran, which tells its submitter it is safe to
        // submit again (Python's message is the same for every call of a broken pool).
        call.future.setException(
          this.newBrokenError(
            `${message} This call had not started: it can be submitted again, to a new executor.`,
            cause,
          ),
        );
      } else if (!call.future.done()) call.future.setException(this.newBrokenError(message, cause));
    }
    for (const worker of this.#workers) {
      for (const call of worker.inFlight)
        if (!call.future.done()) call.future.setException(this.newBrokenError(message, cause));
      // SIGTERM, then SIGKILL: a child whose call ignores SIGTERM would otherwise hold shutdown()
      // and the process forever. endWithGrace refs it: an idle worker's exit must be seen too.
      worker.endWithGrace(this.#endGraceMs === Infinity ? DEFAULT_END_GRACE_MS : this.#endGraceMs);
    }
    this.#maybeFinishShutdown();
  }

  #maybeFinishShutdown(): void {
    if (!this.isShutdown) return;
    this.#dispatcher.dropCancelledHead();
    if (this.#dispatcher.queue.length > 0 && this.#broken === undefined) return;
    for (const worker of this.#workers) {
      if (worker.inFlight.length === 0 && worker.life === 'working') worker.stop();
    }
    if (this.#workers.size === 0 && this.#onTerminated !== undefined) {
      livePools.delete(this.#self); // its workers are gone: nothing left for the exit hook
      const resolve = this.#onTerminated;
      this.#onTerminated = undefined;
      resolve();
    }
  }
}

/** A worker thread ran out of memory (resourceLimits). */
const OUT_OF_MEMORY = 'ERR_WORKER_OUT_OF_MEMORY';

/** How long a process about to exit waits for its idle workers to stop (see #retireIdleAtExit). */
const EXIT_DRAIN_MS = 1000;

/** Workers in a row that may die before they run anything, holding nothing, before the pool breaks. */
const MAX_IDLE_DEATHS = 3;

/** Workers that may die holding a call before it starts; with the last, the call fails. */
const MAX_LOST_BEFORE_START = 2;

function howItExited(exit: WorkerExit): string {
  const how =
    exit.signal !== null ? `was killed by signal ${exit.signal}` : `exited with code ${exit.code}`;
  const error = exit.error as Error | undefined;
  return error === undefined ? how : `${how} (${describeError(error)})`;
}

function leftBehindFailure(worker: PoolWorker, exit: WorkerExit): string {
  return (
    `A worker (id ${worker.id}) ${howItExited(exit)} after its initializer returned and before it ran any call, ` +
    `so the pool is broken: each new worker would die the same way. Something the initializer started ` +
    `and did not await (a promise, a timer) failed later, or a preload did (execArgv), or the initializer fills ` +
    `the worker's memory (resourceLimits). Fix it and create a new executor.`
  );
}

function lostBeforeStartFailure(worker: PoolWorker, exit: WorkerExit): Error {
  return new Error(
    `This call was not run: worker ${worker.id} ${howItExited(exit)} before it started it, and so did the ` +
      `worker it was given to before. Its arguments may not fit in the pool's resourceLimits (each thread ` +
      `runs out of memory reading them): raise maxOldGenerationSizeMb, or pass less.`,
    { cause: exit.error },
  );
}

/**
 * A worker died of an uncaught error while it held no call: thrown by a timer or a promise that a
 * call left behind. No future can carry it, and the pool replaces the worker quietly, so it would
 * vanish: said as a warning, as Node says an uncaught error (`--no-warnings` silences it).
 */
function warnIdleDeath(worker: PoolWorker, exit: WorkerExit): void {
  process.emitWarning(
    `A worker (id ${worker.id}) of a pool died while it ran no call, after an uncaught error: ` +
      `${describeError(exit.error)}. A timer or promise that an earlier call left behind threw it. ` +
      `The pool starts a new worker when it needs one.`,
    { code: 'CONCURRENT_FUTURES_WORKER_DIED_IDLE', detail: errorStack(exit.error) },
  );
}

function errorStack(error: unknown): string | undefined {
  try {
    const stack = (error as { stack?: unknown } | undefined)?.stack;
    return typeof stack === 'string' ? stack : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A call its thread ran to the end, whose result was still held there (the results of fast calls
 * travel back in batches) when the thread died or was ended: it was not cut off, and must not be
 * blamed for the death. It did run, so it cannot run again: it fails, saying so.
 */
function resultLostFailure(worker: PoolWorker, death: WorkerExit | undefined): Error {
  const how = death === undefined ? 'was ended' : howItExited(death);
  const outOfMemory = (death?.error as { code?: unknown } | undefined)?.code === OUT_OF_MEMORY;
  return new Error(
    `This call ran to its end, but its result was lost: worker ${worker.id} ${how} before sending it ` +
      `(the results of fast calls travel back in batches). The call did run: do not assume it did not. ` +
      (outOfMemory
        ? `With resourceLimits set, each result is sent before the next call starts, and survives.`
        : `Another call on that worker ended it, or the pool was ended (terminateWorkers(), killWorkers()).`),
    { cause: death?.error },
  );
}

function startFailure(worker: PoolWorker, exit: WorkerExit): string {
  const outOfMemory = (exit.error as { code?: unknown } | undefined)?.code === OUT_OF_MEMORY;
  return (
    `A worker (id ${worker.id}) ${howItExited(exit)} before it was ready to run calls, so the pool is ` +
    `broken. ` +
    (outOfMemory
      ? `Its resourceLimits leave it too little memory to start (a thread needs about 6 MB of ` +
        `maxOldGenerationSizeMb before its first call), or its initializer fills it: raise the limit.`
      : `Check what the worker loads at start: its initializer, execArgv and loaders.`)
  );
}
