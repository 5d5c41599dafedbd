// The pool core that ThreadPoolExecutor and ProcessPoolExecutor share: queue, dispatch,
// completion, shutdown and breakage. How a call flows:
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
// function: 2 for a function not yet timed — one running, one ahead, Python's bound — growing to
// about a millisecond of work once the workers report how long its calls take, so fast calls
// travel in large batches; calls slower than 10 ms are not handed ahead at all. A wrong guess is
// undone: an idle thread takes back calls a busy one has not started (start flags), and a child
// hands back the calls it holds behind a call far past its usual time (see docs/design.md).
// Whether a call handed ahead can still be cancelled is the transport's business (PoolWorker).

import type { Callable } from '../callable.js';
import type { BrokenExecutor } from '../errors.js';
import { Executor, type CallLimits } from '../executor.js';
import { Future, setRemoteStart } from '../future.js';
import { ChunkFailure } from '../map.js';
import { decodeThrown, type EncodedThrown } from '../protocol/errors.js';
import {
  START_FLAG_SLOTS,
  Status,
  type CallableDef,
  type DoneMessage,
  type FromWorker,
} from '../protocol/messages.js';
import { Call, TAKEN_BACK } from './call.js';
import { CallableRegistry, defName } from './callable-registry.js';
import { CallLimiter } from './call-limiter.js';
import { Deque } from '../deque.js';
import type { PoolWorker, PoolWorkerEvents, WorkerExit } from './pool-worker.js';

export interface PoolSettings {
  maxWorkers: number;
  initializer: Callable | undefined;
  initargs: unknown[];
  /** Calls a worker runs before it is replaced (Infinity: never). */
  maxTasksPerWorker: number;
  /** How long an ended call may take to stop by itself before its worker is ended (Infinity: never). */
  endGraceMs: number;
}

/** Hand a worker about this much work ahead (see the drawing above). */
const HAND_AHEAD_MS = 1;
/**
 * Calls slower than this are not handed ahead at all: a round trip (a fraction of a millisecond)
 * is then under 2% of a call, and a call queued behind a slow one on a busy worker would wait
 * while another worker may fall idle (the tail of a batch of long calls).
 */
const SLOW_CALL_MS = 10;
const MAX_WINDOW = START_FLAG_SLOTS;
/**
 * The window of a function not yet timed: one call running and one ahead, Python's bound
 * (EXTRA_QUEUED_CALLS = 1: "a larger number will make Future.cancel() succeed less frequently").
 */
const UNTIMED_WINDOW = 2;

/** What the pool has learnt of one function's calls (per callable id). */
interface Estimate {
  /** Milliseconds per call, a moving average. */
  ms: number;
  /** Calls one worker may hold of this function, running or handed ahead. */
  window: number;
}

export abstract class PoolExecutor extends Executor {
  readonly #maxWorkers: number;
  readonly #maxTasksPerWorker: number;
  readonly #registry = new CallableRegistry();
  readonly #initializer: CallableDef | undefined;
  readonly #initargs: unknown[];
  readonly #queue = new Deque<Call>();
  readonly #limits: CallLimiter;
  readonly #workers = new Set<PoolWorker>();
  readonly #events: PoolWorkerEvents;
  readonly #dispatchNow = (): void => this.#dispatch();
  #dispatchScheduled = false;
  /** Per callable id: how long its calls take, and so how far ahead its calls are handed. */
  readonly #estimates = new Map<number, Estimate>();
  #broken: { message: string; cause: unknown } | undefined = undefined;
  #onTerminated: (() => void) | undefined = undefined;

  protected constructor(settings: PoolSettings) {
    super();
    this.#maxWorkers = settings.maxWorkers;
    this.#maxTasksPerWorker = settings.maxTasksPerWorker;
    this.#limits = new CallLimiter(settings.endGraceMs, (worker) => {
      // Its running call is being ended: what it holds and has not started runs elsewhere.
      if (this.#takeBackFrom(worker, [], true)) this.#scheduleDispatch();
    });
    this.#initializer =
      settings.initializer === undefined ? undefined : this.#registry.resolve(settings.initializer);
    this.#initargs = settings.initargs;
    this.#events = {
      message: (worker, message) => this.#onMessage(worker, message),
      exit: (worker, exit) => this.#onExit(worker, exit),
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
   * Whether a call with a timeout or a signal may be handed ahead to a busy worker (threads: its
   * start flag makes its start exact, and the calls behind it can be taken back if it must be
   * ended) or goes only to a free worker, alone (processes: what a process holds cannot be).
   */
  protected abstract readonly handsLimitedCallsAhead: boolean;

  /** The message for the calls a dead worker took with it (or for the broken pool). */
  protected abstract describeDeath(worker: PoolWorker, exit: WorkerExit): string;

  submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>> {
    this.checkSubmit(fn);
    const future = new Future<Awaited<R>>();
    this.#queue.push(new Call(future, this.#registry.resolve(fn), args, false, undefined));
    this.#scheduleDispatch();
    return future;
  }

  protected override submitChunk(
    fn: Callable,
    arity: number,
    flatArgs: unknown[],
    limits: CallLimits | undefined,
  ): Future<unknown[]> {
    this.checkSubmit(fn);
    return this.#enqueueLimited(
      new Call(
        new Future<unknown[]>(),
        this.#registry.resolve(fn),
        [arity, flatArgs],
        true,
        limits,
      ),
    );
  }

  protected override submitLimited(fn: Callable, args: unknown[], limits: CallLimits): Future<any> {
    this.checkSubmit(fn);
    return this.#enqueueLimited(
      new Call(new Future(), this.#registry.resolve(fn), args, false, limits),
    );
  }

  protected override endCall(future: Future<any>, reason: unknown): void {
    this.#limits.endByFuture(future, reason);
  }

  #enqueueLimited<T>(call: Call): Future<T> {
    if (call.limits !== undefined) this.#limits.track(call);
    this.#queue.push(call);
    this.#scheduleDispatch();
    return call.future;
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

  protected startShutdown(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#onTerminated = resolve;
      this.#maybeFinishShutdown();
    });
  }

  protected cancelPendingCalls(): void {
    for (const call of this.#queue) call.future.cancel();
    // A thread worker has not started every call it holds: those can still be cancelled exactly.
    for (const worker of this.#workers) for (const call of worker.inFlight) call.future.cancel();
    this.#scheduleDispatch();
  }

  /** Ends every worker at once with `signal`: calls not started are cancelled, running ones fail. */
  protected endAllWorkers(signal: NodeJS.Signals | undefined, why: string): Promise<void> {
    const terminated = this.shutdown({ wait: true, cancelFutures: true });
    for (const worker of this.#workers) {
      for (const call of worker.inFlight)
        if (!call.future.done()) call.future.setException(this.newBrokenError(why, undefined));
      worker.ending = true;
      worker.ref(); // an idle (unref'd) worker's exit must still be seen, or the promise never resolves
      worker.end(signal);
    }
    return terminated;
  }

  // ── Dispatch ─────────────────────────────────────────────────────────────────────────────

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    // A microtask, not at once: no call starts inside submit(), and every submit of this tick
    // goes out in one message.
    queueMicrotask(this.#dispatchNow);
  }

  #dispatch(): void {
    this.#dispatchScheduled = false;
    if (this.#broken !== undefined) return;
    // Taking back moves calls from busy workers to idle ones; a few rounds at most settle it.
    for (let round = 0; round <= this.#workers.size; round++) {
      this.#fillWorkers();
      if (this.#queue.length > 0 || !this.#takeBack()) break;
    }
    this.#maybeFinishShutdown();
  }

  #fillWorkers(): void {
    for (;;) {
      this.#dropCancelledHead();
      const head = this.#queue.peek();
      if (head === undefined) break;
      const alone = head.limits !== undefined && !this.handsLimitedCallsAhead;
      const worker = this.#pickWorker(alone, this.#windowOf(head.def.id));
      if (worker === undefined) break;
      this.#sendBatch(worker);
    }
  }

  /** Calls of function `id` one worker may hold, running or handed ahead. */
  #windowOf(id: number): number {
    return this.#estimates.get(id)?.window ?? UNTIMED_WINDOW;
  }

  /**
   * An idle worker; else a new one while under maxWorkers; else the least loaded with room. A
   * limited call (`alone`) takes only an idle or a new worker, and a worker running one takes nothing.
   */
  #pickWorker(alone: boolean, window: number): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const worker of this.#workers) {
      if (worker.stopping || worker.ending || worker.exited || worker.exclusive !== undefined)
        continue;
      const load = worker.inFlight.length;
      if (load === 0) return worker;
      if (!alone && load < window && (best === undefined || load < best.inFlight.length))
        best = worker;
    }
    if (this.#workers.size < this.#maxWorkers) return this.#startWorker();
    return best;
  }

  /** Whether a call could start now elsewhere than on `worker`: another idle worker, or room for a new one. */
  #hasSpareWorker(worker: PoolWorker): boolean {
    if (this.#workers.size < this.#maxWorkers) return true;
    for (const other of this.#workers) {
      if (
        other !== worker &&
        other.inFlight.length === 0 &&
        !other.stopping &&
        !other.ending &&
        !other.exited
      )
        return true;
    }
    return false;
  }

  #startWorker(): PoolWorker {
    const worker = this.createWorker(this.#initializer, this.#initargs, this.#events);
    worker.tasksLeft = this.#maxTasksPerWorker;
    this.#workers.add(worker);
    return worker;
  }

  #dropCancelledHead(): void {
    for (
      let call = this.#queue.peek();
      call !== undefined && call.future.cancelled();
      call = this.#queue.peek()
    ) {
      this.#queue.shift();
      call.future.setRunningOrNotifyCancel();
    }
  }

  #sendBatch(worker: PoolWorker): void {
    // While another worker is idle or the pool may still start one, a worker gets one call at a
    // time: a call handed ahead would wait behind the first while another worker could run it now
    // (two slow calls on a pool of two ran one after the other on one worker).
    // Otherwise each call goes as far ahead as its own function's window allows.
    const spare = this.#hasSpareWorker(worker);
    const held = worker.inFlight.length;
    let windowId = -1;
    let window = 1;
    let room = worker.tasksLeft;
    const calls: Call[] = [];
    const flat: unknown[] = [];
    let defs: CallableDef[] | undefined;
    let limited = false;
    while (calls.length < room) {
      const call = this.#queue.peek();
      if (call === undefined) break;
      if (call.future.cancelled()) {
        this.#queue.shift();
        call.future.setRunningOrNotifyCancel();
        continue;
      }
      if (call.def.id !== windowId) {
        windowId = call.def.id;
        window = spare ? 1 : this.#windowOf(windowId);
      }
      if (held + calls.length >= window) break;
      if (call.limits !== undefined) {
        // A limited call travels first in a message of its own (so the worker can report its
        // start); a process's, alone on a free worker, which then takes nothing else meanwhile.
        if (calls.length > 0) break;
        if (!this.handsLimitedCallsAhead) {
          if (held > 0) break;
          worker.exclusive = call;
        }
        limited = true;
        room = 1;
      }
      this.#queue.shift();
      const def = call.def;
      if (!worker.defined.has(def.id)) {
        (defs ??= []).push(def);
        worker.defined.add(def.id);
      }
      worker.prepareStart(worker.nextSeq + calls.length);
      flat.push(call.chunk ? -def.id - 1 : def.id, call.payload);
      calls.push(call);
    }
    if (calls.length === 0) return;
    // A limited call's timeout counts from its start. A ready, idle worker that already has the
    // function starts it on arrival, so the deadline is armed at sending, with no message back;
    // otherwise (initializer running, module to import) the worker reports the start.
    // Handed ahead (threads), it starts when the calls before it are done: the worker reports that.
    const timed = limited && (!worker.ready || defs !== undefined || held > 0) ? true : undefined;
    try {
      worker.post(timed ? { t: 'run', defs, calls: flat, timed } : { t: 'run', defs, calls: flat });
    } catch (error) {
      this.#sendOneByOne(worker, defs, calls, error, limited, timed);
      return;
    }
    for (const call of calls) this.#handOver(worker, call);
    if (limited && !timed) this.#limits.armDeadline(worker, calls[0]!.seq);
    this.#afterSend(worker);
  }

  /** A batch could not be cloned: send its calls one at a time, failing only those that cannot travel. */
  #sendOneByOne(
    worker: PoolWorker,
    defs: CallableDef[] | undefined,
    calls: Call[],
    batchError: unknown,
    limited: boolean,
    timed: true | undefined,
  ): void {
    if (limited && !this.handsLimitedCallsAhead) worker.exclusive = undefined; // set again below if it travels
    if (!isDataCloneError(batchError)) {
      // Not the values: the channel itself is gone (the worker is dying). Its exit event follows;
      // put the calls back, in order, for another worker.
      for (let i = calls.length - 1; i >= 0; i--) this.#queue.unshift(calls[i]!);
      if (defs !== undefined) for (const def of defs) worker.defined.delete(def.id);
      worker.stopping = true;
      return;
    }
    if (defs !== undefined) worker.post({ t: 'run', defs, calls: [] });
    for (const call of calls) {
      worker.prepareStart(worker.nextSeq);
      try {
        const single = [call.chunk ? -call.def.id - 1 : call.def.id, call.payload];
        worker.post(
          timed
            ? { t: 'run', defs: undefined, calls: single, timed }
            : { t: 'run', defs: undefined, calls: single },
        );
        if (limited && !this.handsLimitedCallsAhead) worker.exclusive = call;
      } catch (error) {
        call.future.setException(
          new TypeError(
            `The arguments of ${defName(call.def)} ` +
              `could not be sent to a worker (${(error as Error).message}). Pass only values the structured clone algorithm ` +
              `supports: primitives, plain objects, arrays, Map, Set, Date, RegExp, ArrayBuffer, typed arrays, Error.`,
            { cause: error },
          ),
        );
        continue;
      }
      this.#handOver(worker, call);
      if (limited && !timed) this.#limits.armDeadline(worker, call.seq);
    }
    this.#afterSend(worker);
  }

  #handOver(worker: PoolWorker, call: Call): void {
    call.worker = worker;
    call.seq = worker.nextSeq++;
    worker.inFlight.push(call);
    worker.tasksLeft--;
    if (call.handedBack) call.handedBack = false;
    else worker.handedOver(call);
  }

  #afterSend(worker: PoolWorker): void {
    if (worker.inFlight.length > 0) worker.ref();
    if (worker.tasksLeft === 0) worker.stop();
  }

  // ── Completion ───────────────────────────────────────────────────────────────────────────

  #onMessage(worker: PoolWorker, message: FromWorker): void {
    if (message.t === 'started') {
      this.#limits.armDeadline(worker, message.seq);
    } else if (message.t === 'done') {
      this.#complete(worker, message);
      if (worker.inFlight.length === 0 && !worker.stopping) worker.unref();
      this.#dispatch();
    } else if (message.t === 'handBack') {
      this.#takeHandedBack(worker, message.from, message.count);
      this.#dispatch();
    } else if (message.t === 'ready') {
      worker.ready = true;
    } else if (message.t === 'initFailed') {
      this.#breakPool(
        'The initializer failed in a worker, so this pool cannot run calls (its error is the cause). Fix the initializer and create a new executor.',
        decodeThrown(message.error as EncodedThrown),
      );
    }
  }

  #complete(worker: PoolWorker, message: DoneMessage): void {
    const results = message.results;
    // Which functions these calls belong to, for their estimates: nearly always one.
    let timedId = -1;
    let otherIds: Set<number> | undefined;
    let timedCalls = 0;
    for (let i = 0; i < results.length; i += 2) {
      const call = worker.inFlight.shift();
      if (call === undefined) break;
      const future = call.future;
      const status = results[i];
      if (status !== Status.Skipped) {
        timedCalls++;
        const id = call.def.id;
        if (timedId === -1) timedId = id;
        else if (id !== timedId) (otherIds ??= new Set()).add(id);
      }
      if (call.limits !== undefined) this.#limits.release(worker, call);
      if (future.done()) {
        if (future.state === 'CANCELLED') future.setRunningOrNotifyCancel();
        continue; // cancelled before it started, or failed already by a broken pool
      }
      if (status === Status.Returned) future.setResult(results[i + 1]);
      else if (status === Status.Threw)
        future.setException(decodeThrown(results[i + 1] as EncodedThrown));
      else if (status === Status.ChunkThrew) {
        const [before, error] = results[i + 1] as [unknown[], EncodedThrown];
        future.setException(new ChunkFailure(before, decodeThrown(error)));
      }
    }
    if (timedCalls === 0) return;
    // The worker times a batch, not each call: a batch of several functions (rare: a worker sends
    // a slow function's result apart) charges each the batch's average.
    const perCall = message.busyMs / timedCalls;
    this.#observe(timedId, perCall);
    if (otherIds !== undefined) for (const id of otherIds) this.#observe(id, perCall);
  }

  /** Sizes function `id`'s hand-ahead window from how long its calls take (see the drawing at the top). */
  #observe(id: number, perCall: number): void {
    let estimate = this.#estimates.get(id);
    if (estimate === undefined) this.#estimates.set(id, (estimate = { ms: perCall, window: 1 }));
    else estimate.ms = estimate.ms * 0.7 + perCall * 0.3;
    const average = Math.max(estimate.ms, 1e-6);
    const ahead = average >= SLOW_CALL_MS ? 0 : Math.max(1, Math.floor(HAND_AHEAD_MS / average));
    estimate.window = 1 + Math.min(ahead, MAX_WINDOW - 1);
  }

  // ── Taking back, handing back ────────────────────────────────────────────────────────────

  /** Whether `worker` holds nothing and may be given calls. */
  #isIdle(worker: PoolWorker): boolean {
    return (
      worker.inFlight.length === 0 &&
      !worker.stopping &&
      !worker.ending &&
      !worker.exited &&
      worker.exclusive === undefined
    );
  }

  /**
   * Threads, the queue empty and a worker idle: calls handed ahead to busy workers and not started
   * are taken back to the queue, so that the idle worker runs them now rather than their worker
   * after the call it is on (a slow page held a fast one while four threads sat idle). The start
   * flag's compare-exchange decides each call exactly: taken back (the worker will skip it) or
   * started (it stays). A process cannot be asked (hasStarted is always true there): it hands
   * calls back itself instead. True if any call was taken back.
   */
  #takeBack(): boolean {
    let anyIdle = false;
    for (const worker of this.#workers) if (this.#isIdle(worker)) anyIdle = true;
    if (!anyIdle) return false;
    const taken: Call[] = [];
    for (const donor of this.#workers) {
      if (donor.inFlight.length > 1 && donor.exclusive === undefined && !donor.exited)
        this.#takeBackFrom(donor, taken, false);
    }
    return taken.length > 0;
  }

  /**
   * Takes back the calls `donor` has not started beyond what its window for them now allows; at
   * least half of them, so that several idle workers share them and calls do not bounce back and
   * forth whole; or `all` of them (its running call is being ended). A worker starts its calls in
   * order: the unstarted ones are a tail of inFlight. They go to the head of the queue, oldest
   * first (before calls submitted after them). True if any call was taken back.
   */
  #takeBackFrom(donor: PoolWorker, taken: Call[], all: boolean): boolean {
    const held = donor.inFlight;
    const unstarted: number[] = []; // indexes into held, newest first
    for (let index = held.length - 1; index >= 0; index--) {
      const call = held.at(index)!;
      if (call.future.done()) continue; // taken back already, cancelled, or failed
      if (donor.hasStarted(call.seq)) break;
      unstarted.push(index);
    }
    if (unstarted.length === 0) return false;
    const oldest = held.at(unstarted[unstarted.length - 1]!)!;
    const keep = all
      ? 0
      : Math.min(
          Math.floor(unstarted.length / 2),
          this.#windowOf(oldest.def.id) - 1, // one of the held calls is running (or about to)
        );
    const from = taken.length;
    for (let k = 0; k < unstarted.length - keep; k++) {
      const index = unstarted[k]!;
      const call = held.at(index)!;
      if (!donor.preventStart(call.seq, true)) break; // it started meanwhile, and so did those before it
      held.set(index, TAKEN_BACK);
      setRemoteStart(call.future, undefined);
      call.worker = undefined;
      donor.tasksLeft++;
      taken.push(call);
    }
    // Taken newest first: onto the head of the queue in that order puts the oldest first.
    for (let i = from; i < taken.length; i++) this.#queue.unshift(taken[i]!);
    return taken.length > from;
  }

  /**
   * Processes: `worker` gave back calls `from` .. `from + count - 1`, unstarted (they were behind a
   * call that ran far past its usual time). They stay RUNNING for cancel(): Python's state machine
   * has no way back to pending. They go to the head of the queue, for the first free worker.
   */
  #takeHandedBack(worker: PoolWorker, from: number, count: number): void {
    const back: Call[] = [];
    const held = worker.inFlight.drain();
    for (const call of held) {
      if (call !== TAKEN_BACK && call.seq >= from && call.seq < from + count) {
        if (call.future.done()) continue; // failed already (a broken pool): nothing to run
        call.handedBack = true;
        call.worker = undefined;
        back.push(call);
      } else worker.inFlight.push(call);
    }
    if (!worker.stopping) worker.tasksLeft += back.length;
    for (let i = back.length - 1; i >= 0; i--) this.#queue.unshift(back[i]!);
    if (worker.inFlight.length === 0 && !worker.stopping) worker.unref();
  }

  // ── Exits, breakage, shutdown ────────────────────────────────────────────────────────────

  #onExit(worker: PoolWorker, exit: WorkerExit): void {
    worker.exited = true;
    clearTimeout(worker.timer);
    // Its limited call already failed (timeout or signal) but has not reported back: the worker is
    // being ended, and may exit by itself during the grace (a call that exits on abort). That is no
    // death: it must not break a process pool.
    const beingEnded = worker.exclusive?.future.done() === true;
    if (worker.exclusive !== undefined) clearTimeout(worker.exclusive.timer); // its grace
    worker.exclusive = undefined;
    this.#workers.delete(worker);
    const lost = worker.inFlight.drain();
    const died =
      !worker.ending &&
      !beingEnded &&
      (!worker.stopping || lost.some((call) => !call.future.done()));
    if (died && !worker.ready && this.#broken === undefined) {
      // A worker that cannot start (its entry fails to load, its initializer kills it) would be
      // replaced forever: the pool is broken instead.
      for (const call of lost)
        if (!call.future.done())
          call.future.setException(this.newBrokenError(startFailure(worker, exit), exit.error));
      this.#breakPool(startFailure(worker, exit), exit.error);
    } else if (died && this.#broken === undefined) {
      const message = this.describeDeath(worker, exit);
      if (this.deathBreaksPool) {
        for (const call of lost)
          if (!call.future.done())
            call.future.setException(this.newBrokenError(message, exit.error));
        this.#breakPool(message, exit.error);
      } else {
        this.#recoverCalls(worker, lost, () => new Error(message, { cause: exit.error }));
      }
    } else {
      this.#recoverCalls(worker, lost, () =>
        this.newBrokenError('The worker was ended while running this call.', undefined),
      );
    }
    if (this.#queue.length > 0) this.#scheduleDispatch();
    this.#maybeFinishShutdown();
  }

  /** Calls a gone worker held: those it never started go back to the queue, in order; the one it ran fails. */
  #recoverCalls(worker: PoolWorker, lost: Call[], failure: () => Error): void {
    const again: Call[] = [];
    for (const call of lost) {
      const future = call.future;
      if (future.done()) {
        if (future.state === 'CANCELLED') future.setRunningOrNotifyCancel();
      } else if (future.state === 'PENDING' && worker.preventStart(call.seq, true)) {
        setRemoteStart(future, undefined);
        again.push(call);
      } else {
        future.setException(failure());
      }
    }
    for (let i = again.length - 1; i >= 0; i--) this.#queue.unshift(again[i]!);
  }

  #breakPool(message: string, cause: unknown): void {
    if (this.#broken !== undefined) return;
    this.#broken = { message, cause };
    for (const call of this.#queue.drain()) {
      if (call.future.cancelled()) call.future.setRunningOrNotifyCancel();
      else call.future.setException(this.newBrokenError(message, cause));
    }
    for (const worker of this.#workers) {
      for (const call of worker.inFlight)
        if (!call.future.done()) call.future.setException(this.newBrokenError(message, cause));
      worker.ending = true;
      worker.ref(); // an idle (unref'd) worker's exit must still be seen, or shutdown() never resolves
      worker.end();
    }
    this.#maybeFinishShutdown();
  }

  #maybeFinishShutdown(): void {
    if (!this.isShutdown) return;
    this.#dropCancelledHead();
    if (this.#queue.length > 0 && this.#broken === undefined) return;
    for (const worker of this.#workers) {
      if (worker.inFlight.length === 0 && !worker.stopping && !worker.ending) {
        worker.stop();
        worker.ref(); // so the exit is seen before the process may end
      }
    }
    if (this.#workers.size === 0 && this.#onTerminated !== undefined) {
      const resolve = this.#onTerminated;
      this.#onTerminated = undefined;
      resolve();
    }
  }
}

function startFailure(worker: PoolWorker, exit: WorkerExit): string {
  const how =
    exit.signal !== null ? `was killed by signal ${exit.signal}` : `exited with code ${exit.code}`;
  const error = exit.error as Error | undefined;
  return (
    `A worker (id ${worker.id}) ${how}${error === undefined ? '' : ` (${error.message ?? error})`} before it was ready to run ` +
    `calls, so the pool is broken. Check what the worker loads at start: its initializer, execArgv and loaders.`
  );
}

/** worker_threads throws a DataCloneError; fork()'s advanced serialization a plain Error saying the same. */
function isDataCloneError(error: unknown): boolean {
  const candidate = error as Error | undefined;
  return (
    candidate?.name === 'DataCloneError' || /could not be cloned/.test(String(candidate?.message))
  );
}
