// EventLoopExecutor: calls run on the calling thread's own event loop, at most `maxWorkers` at once.
// p-queue bounds the concurrency; this file adds the futures, cancellation, the initializer,
// breakage and shutdown around it.
//
//   submit(fn, ...args) ──▶ CallQueue.push(call) ──▶ one microtask per tick: top up the runners
//                                                                        │
//   p-queue starts a runner (#runCalls) when a slot is free ◀────────────┘
//     └─▶ loop: (first time only: await the initializer)
//         CallQueue.shift() ─▶ future.setRunningOrNotifyCancel()
//            false (cancelled): skip it, take the next call
//            true: fn(...args) ─▶ (await it) ─▶ future.setResult / setException
//         until the queue is empty ─▶ p-queue frees the slot
//
// A p-queue job is not tied to one call: it is a runner that takes whichever call is first in line,
// runs it, and takes the next, until none is left. So there are never more jobs than slots: p-queue
// pays its add() (a promise, events, a queue entry) per runner, not per call, which made a batch
// of 100,000 calls awaited with Promise.all ~1.6x slower than raw p-queue (see docs/design.md). A
// cancelled call costs no slot, and dropping calls (cancelPendingCalls, a broken initializer) is a
// matter of emptying our queue: the runners find it empty and end.

import { availableParallelism } from 'node:os';
import PQueue from 'p-queue';
import { callableName, isModuleFunction, type Callable } from '../callable.js';
import { functionName } from '../function-name.js';
import {
  isOutsideCalls,
  outsideCalls,
  plainCallEnded,
  plainCallStarted,
  runCall,
} from '../current-signal.js';
import { describeError as describeAnyError } from '../describe-error.js';
import { BrokenExecutor } from '../errors.js';
import { Executor, type ShutdownOptions } from '../executor.js';
import { Future } from '../future.js';
import { Limiter, type CallLimits, type LimitedCall } from '../limits/limited-call.js';
import {
  checkArray,
  checkOptions,
  checkPositiveInteger,
  checkTimeout,
  describe,
} from '../validate.js';
import { LogHistogram, type ExecutorStats } from '../stats.js';
import { CallQueue, PendingCall } from './call-queue.js';
import { ShutdownWaits, noteCallOver } from './stuck-shutdowns.js';
import { loadModuleFunction } from './module-function.js';
import { EVENT_LOOP_OPTION_KEYS, type EventLoopExecutorOptions } from './options.js';
import { performance, queueMicrotask } from '../timers.js';

export type { EventLoopExecutorOptions } from './options.js';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * Runs calls on the event loop of the thread that submits them, at most `maxWorkers` at once: the
 * executor for I/O-bound async work. Nothing is cloned: closures, bound functions and methods are
 * fine, and arguments and results are passed by reference. A sync function holds the loop while it
 * runs. An idle executor does not keep the process alive.
 */
// I: the initializer's parameters (see EventLoopExecutorOptions); nothing else depends on it.
const RUNNER_OPTIONS = { timeout: undefined, signal: undefined, priority: 0 } as const;

export class EventLoopExecutor<I extends any[] = any[]> extends Executor {
  readonly #queue: PQueue;
  #calls = new CallQueue();
  /** A top-up of the runners is queued for this tick's calls (see #enqueue). */
  #topUpQueued = false;
  /** Runners added to p-queue and not yet ended (waiting for a slot or running calls). */
  #runners = 0;
  /** Calls submitted and not yet over (run, skipped as cancelled, or dropped). */
  #outstanding = 0;
  #onDrained: (() => void) | undefined = undefined;
  /** Slots to lend p-queue in the next microtask, in place of ended calls that still hold theirs. */
  #slotsToLend = 0;
  /** Calls whose synchronous part is running now (see shutdown). */
  #callBodiesRunning = 0;
  /** shutdown() waits that end with an error if the process runs out of work first (see shutdown). */
  #shutdownWaits: ShutdownWaits | undefined = undefined;

  // Stats: counters always exact; times sampled, one call in SAMPLE_EVERY (the Rulings allow it
  // here): a clock reading per call would be a real share of a trivial call's cost on this path.
  readonly #maxWorkers: number;
  #submitted = 0;
  #completed = 0;
  /** Cancelled calls taken out of the queue (those still in it are counted by looking). */
  #cancelled = 0;
  readonly #runTimes = new LogHistogram();
  readonly #waitTimes = new LogHistogram();
  readonly #createdAt = performance.now();
  #idleWaiters: Array<() => void> = [];

  readonly #initializer: Callable | undefined;
  readonly #initargs: unknown[];
  /** False until the initializer has succeeded (true at once without one). */
  #ready: boolean;
  #initializing: Promise<void> | undefined = undefined;
  #broken: { cause: unknown } | undefined = undefined;
  /**
   * Its limited calls (see src/limits/). The event loop cannot stop a running call: ending one
   * aborts its currentSignal(), fails its future at once, frees its slot, and ignores what it does later.
   */
  readonly #limiter = new Limiter<PendingCall>({
    nameOf: (call) =>
      typeof call.fn === 'function' && functionName(call.fn)
        ? `"${functionName(call.fn)}"`
        : callableName(call.fn),
    hasStarted: () => true, // its deadline is armed as it starts
    stopRunning: (call, reason) => this.#stopRunning(call, reason),
  });

  constructor(options?: EventLoopExecutorOptions<I>) {
    super();
    const checked = checkOptions<EventLoopExecutorOptions>(
      options,
      'options',
      EVENT_LOOP_OPTION_KEYS,
      'new EventLoopExecutor()',
    );
    const maxWorkers =
      checkPositiveInteger(checked.maxWorkers, 'maxWorkers') ?? defaultMaxWorkers();
    checkTimeout(checked.endGraceMs, 'endGraceMs'); // accepted for a drop-in switch; unused here
    const initializer = checked.initializer;
    if (
      initializer !== undefined &&
      initializer !== null &&
      typeof initializer !== 'function' &&
      !isModuleFunction(initializer)
    ) {
      throw new TypeError(
        `Expected \`initializer\` to be a function or a fromModule() reference, got ${describe(initializer)}.`,
      );
    }
    this.#initializer = initializer ?? undefined;
    this.#initargs = [...checkArray(checked.initargs, 'initargs')];
    this.#ready = this.#initializer === undefined;
    // p-queue reads its options off plain objects: a `timeout` (or `signal`) on Object.prototype
    // would reach it and end our runners with p-timeout's uncaught rejection. Ours are own keys.
    this.#queue = new PQueue({ concurrency: maxWorkers, timeout: undefined });
    this.#maxWorkers = maxWorkers;
  }

  /**
   * What the executor is doing: calls by state (exact), and run and wait times sampled from one
   * call in 16 (approximate percentiles). `workers` are its maxWorkers slots, busy = calls running.
   */
  stats(): ExecutorStats {
    let queued = 0;
    let cancelledHeld = 0;
    for (const call of this.#calls) {
      if (!call.future.done()) queued++;
      else if (call.future.cancelled()) cancelledHeld++;
    }
    // #outstanding: calls not over, queued or running (an ended call is over at once).
    const running = this.#outstanding - this.#calls.size;
    const completed = this.#completed;
    const cancelled = this.#cancelled + cancelledHeld;
    const failed = this.#submitted - completed - cancelled - queued - running;
    const elapsed = performance.now() - this.#createdAt;
    const sampledMs = this.#runTimes.count === 0 ? 0 : this.#runTimes.mean();
    const ranMs = sampledMs * (completed + failed); // sampled mean × calls that ran
    return {
      workers: { alive: this.#maxWorkers, busy: running },
      calls: { queued, running, completed, failed, cancelled },
      utilization: elapsed > 0 ? Math.min(1, ranMs / (elapsed * this.#maxWorkers)) : 0,
      runTime: this.#runTimes.summary(),
      waitTime: this.#waitTimes.summary(),
    };
  }

  /** Resolves once no call is queued or running (at once if none is), as p-queue's onIdle(). */
  onIdle(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  override submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>> {
    this.checkSubmit(fn);
    const future = new Future<Awaited<R>>();
    this.#enqueue(new PendingCall(future, fn as Callable, args));
    return future;
  }

  /** A call with a timeout or a signal (see #limiter). */
  protected override submitLimited(
    fn: Callable,
    args: unknown[],
    limits: CallLimits,
  ): LimitedCall<any> {
    this.checkSubmit(fn);
    const call = new PendingCall(new Future<unknown>(), fn, args);
    const limited = (call.limited = this.#limiter.limit(call.future, limits, call));
    this.#enqueue(call);
    return limited;
  }

  /** A running limited call is being ended: its future fails right after (see #limiter). */
  #stopRunning(call: PendingCall, reason: unknown): void {
    (call.controller ??= new AbortController()).abort(reason); // its currentSignal(), if it asks later
    if (call.phase !== 'awaiting') return; // ended from inside its own sync part: its job ends with it
    // Its job holds a p-queue slot until the call's promise settles, which may be never: lend
    // p-queue one slot more until then, so the next call can start. (A promise per call for the
    // slot, only to free it early, cost more than all the rest of a limited call.) Lent in a
    // microtask, as a settling job frees its slot: whoever is ending calls (map's signal ends its
    // running call, then cancels the rest) finishes first, so no call it cancels can start.
    call.phase = 'abandoned';
    if (this.#slotsToLend++ === 0) queueMicrotask(this.#lendSlots);
    this.#over(1);
  }

  readonly #lendSlots = (): void => {
    const count = this.#slotsToLend;
    this.#slotsToLend = 0;
    if (count > 0) {
      this.#queue.concurrency += count;
      this.#topUp(); // a runner for the lent slot, if calls wait
    }
  };

  /** An abandoned call's promise settled: its job ends, so the slot lent in its place goes back. */
  #returnSlot(): void {
    // Settled before its slot was lent: nothing to give back, it frees its own slot.
    if (this.#slotsToLend > 0) this.#slotsToLend--;
    else this.#queue.concurrency--;
  }

  #enqueue(call: PendingCall): void {
    if ((++this.#submitted & SAMPLE_MASK) === 1) call.queuedAt = performance.now();
    this.#calls.push(call);
    this.#outstanding++;
    // p-queue starts a job inside add() when a slot is free, and no call may start inside submit():
    // so runners are added in a microtask, one for all the calls of this tick.
    if (!this.#topUpQueued) {
      this.#topUpQueued = true;
      queueMicrotask(this.#addRunners);
    }
  }

  protected override brokenError(): Error | undefined {
    if (this.#broken === undefined) return undefined;
    const { cause } = this.#broken;
    // An arrow given as `initializer:` is named "initializer" by its property: said once, not twice.
    const initializer = this.#initializer;
    const unnamed =
      typeof initializer === 'function' &&
      (functionName(initializer) === '' || functionName(initializer) === 'initializer');
    const name = unnamed ? '' : ` ${callableName(initializer)}`;
    return new BrokenExecutor(
      `This EventLoopExecutor is broken: its initializer${name} failed ` +
        `(${describeInitializerError(cause)}), so it runs no more calls. Create a new executor.`,
      { cause },
    );
  }

  protected override startShutdown(): Promise<void> {
    const drained =
      this.#outstanding === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#onDrained = resolve;
          });
    // An initializer still running (its calls cancelled meanwhile) is waited for too, as Python's
    // shutdown() joins a thread still in its initializer: what it opens is not left behind.
    const initializing = this.#initializing;
    return initializing === undefined ? drained : Promise.all([drained, initializing]).then(ignore);
  }

  protected override cancelPendingCalls(): void {
    // Take the calls out first: cancel() runs done callbacks, which must find the queue settled.
    // All are counted before the first cancel(): the done callbacks it runs may read stats().
    const calls = this.#dropPendingCalls();
    for (const { future } of calls)
      if (future.state === 'PENDING' || future.cancelled()) this.#cancelled++;
    this.#over(calls.length);
    for (const { future } of calls) if (future.state === 'PENDING') future.cancel();
  }

  // ── The hot path ─────────────────────────────────────────────────────────────────────────

  readonly #addRunners = (): void => {
    this.#topUpQueued = false;
    this.#topUp();
  };

  /**
   * Adds a runner per waiting call, as long as slots are free. (Runners busy with a call are not
   * told apart from idle ones: a runner too many finds the queue empty and ends at once.)
   */
  #topUp(): void {
    let count = Math.min(this.#queue.concurrency - this.#runners, this.#calls.size);
    // The promise add() returns is dropped: #runCalls never throws, and with no timeout or signal of
    // p-queue's own (set as own keys, see the constructor) nothing else can reject it.
    for (; count > 0; count--) {
      this.#runners++;
      void this.#queue.add<Promise<void> | undefined>(this.#runCalls, RUNNER_OPTIONS);
    }
  }

  /**
   * The one p-queue job: runs the calls in line, one at a time, until none is left (or until the
   * slots shrank under the runners, when a lent slot was given back). Never throws. A sync call
   * costs no promise: the loop goes on at once.
   */
  readonly #runCalls = (): Promise<void> | undefined => {
    for (;;) {
      const next = this.#nextOrEnd();
      if (next === null) return undefined;
      if (next !== undefined) return this.#runCallsAfter(next);
    }
  };

  async #runCallsAfter(pending: Promise<void>): Promise<void> {
    await pending;
    for (;;) {
      const next = this.#nextOrEnd();
      if (next === null) return;
      if (next !== undefined) await next;
    }
  }

  /** For a runner: starts the next call, or ends the runner (null) when none is left or it is one too many. */
  #nextOrEnd(): Promise<void> | undefined | null {
    // More runners than slots: a slot lent in place of an abandoned call was given back.
    const next = this.#runners > this.#queue.concurrency ? null : this.#startNext();
    if (next === null) this.#runners--;
    return next;
  }

  /**
   * Starts the first call in line that is not cancelled: undefined if it ran to the end already,
   * its promise if it is async, null if no call is left. Never throws.
   */
  #startNext(): Promise<void> | undefined | null {
    if (!this.#ready) return this.#initializeThenStart();
    for (;;) {
      const call = this.#calls.shift();
      if (call === undefined) return null; // its call was skipped or dropped
      const { future } = call;
      let start: boolean;
      try {
        start = future.setRunningOrNotifyCancel();
      } catch {
        start = false; // someone outside ended the future already
      }
      if (start) {
        if (call.queuedAt !== 0) return this.#startSampled(call);
        const fn = call.fn;
        if (typeof fn === 'function') return this.#run(call, fn as AnyFunction);
        return this.#runModuleFunction(call, loadModuleFunction(fn));
      }
      if (future.cancelled()) this.#cancelled++;
      this.#over(1);
    }
  }

  /** A sampled call: its wait and its run are timed (one call in SAMPLE_EVERY). */
  #startSampled(call: PendingCall): Promise<void> | undefined {
    const started = performance.now();
    this.#waitTimes.record(started - call.queuedAt);
    const fn = call.fn;
    const pending =
      typeof fn === 'function'
        ? this.#run(call, fn as AnyFunction)
        : this.#runModuleFunction(call, loadModuleFunction(fn));
    if (pending === undefined) {
      this.#runTimes.record(performance.now() - started);
      return undefined;
    }
    return pending.then(() => this.#runTimes.record(performance.now() - started));
  }

  #run(call: PendingCall, fn: AnyFunction): Promise<void> | undefined {
    if (call.limited !== undefined) return this.#runLimited(call, call.limited, fn);
    const { future } = call;
    const counted = plainCallStarted();
    let result: unknown;
    let thenable: boolean;
    try {
      result = this.#runBody(undefined, fn, call.args);
      thenable = isThenable(result); // a `then` getter that throws fails the call, as await would
    } catch (error) {
      plainCallEnded(counted);
      this.#fail(future, error);
      return undefined;
    }
    // A sync result settles the future now; only a thenable costs an await.
    if (!thenable) {
      plainCallEnded(counted);
      this.#succeed(future, result);
      return undefined;
    }
    return this.#settleWhenDone(future, result as PromiseLike<unknown>, counted);
  }

  async #settleWhenDone(
    future: Future<unknown>,
    pending: PromiseLike<unknown>,
    counted: boolean,
  ): Promise<void> {
    let value: unknown;
    try {
      value = await pending;
    } catch (error) {
      plainCallEnded(counted);
      this.#fail(future, error);
      return;
    }
    plainCallEnded(counted);
    this.#succeed(future, value);
  }

  /** A call with limits: its own signal (made if asked), and its deadline counted from its start. */
  // Its LimitedCall leaves the timer and the signal watch as its future ends, whichever way.
  #runLimited(
    call: PendingCall,
    limited: LimitedCall<PendingCall>,
    fn: AnyFunction,
  ): Promise<void> | undefined {
    if (call.future.done()) {
      this.#over(1); // ended while its module was still loading: it never runs
      return undefined;
    }
    limited.started();
    let result: unknown;
    let thenable: boolean;
    try {
      result = this.#runBody(call, fn, call.args);
      thenable = isThenable(result);
    } catch (error) {
      this.#fail(call.future, error);
      return undefined;
    }
    if (!thenable) {
      if (limited.overdue()) {
        // It held the loop past its deadline, so the timer could not end it: it fails as the timer
        // would have failed it (its sync part over, nothing is left to stop).
        this.#outstanding--;
        limited.endOverdue();
        this.#afterOver();
      } else this.#succeed(call.future, result);
      return undefined;
    }
    if (call.future.done()) {
      // Ended during its sync part: its slot is free now, and what it returns is ignored, but a
      // rejection nobody handles would still reach the process as an unhandledRejection.
      Promise.resolve(result).then(undefined, ignore);
      this.#over(1);
      return undefined;
    }
    return this.#settleLimited(call, result as PromiseLike<unknown>);
  }

  /** Runs the synchronous part of a call, counted so that shutdown() can tell it is called from inside one. */
  #runBody(source: PendingCall | undefined, fn: AnyFunction, args: unknown[]): unknown {
    this.#callBodiesRunning++;
    try {
      return runCall(source, fn, args);
    } finally {
      this.#callBodiesRunning--;
    }
  }

  /**
   * As the base, but a call of this executor that asks to wait for its shutdown would wait for
   * itself forever (Python raises in the same case). In the call's synchronous part this is seen at
   * once: the executor shuts down, and the promise rejects with an error that says so. After the
   * call's first await it cannot be told from code outside the executor (see stuck-shutdowns.ts):
   * if the process then runs out of work while the shutdown still waits, the wait rejects.
   */
  override shutdown(options?: ShutdownOptions): Promise<void> {
    const terminated = super.shutdown(options);
    if (options?.wait === false || !this.isShutdown) return terminated;
    // A done callback that a call's body set off (by a cancel()) is not in that call: its wait
    // ends when the call does.
    if (this.#callBodiesRunning !== 0 && !isOutsideCalls()) {
      // Marked handled: a call that fires shutdown() without awaiting it asked for what it gets (the
      // executor stops after its calls); only a caller that awaits the promise learns it cannot wait.
      return handledRejection(
        new Error(
          'shutdown() was called with wait: true from inside a call of this same EventLoopExecutor: it would wait for ' +
            'that very call to finish, forever. The executor is shutting down; to wait for the other calls, call ' +
            'shutdown({ wait: false }) here and await shutdown() from outside the executor.',
        ),
      );
    }
    if (this.#outstanding === 0 && !this.#initializerRunning()) return terminated;
    // An initializer that never settles holds the shutdown too (startShutdown waits for it): named
    // first, since the calls behind it cannot start until it ends.
    this.#shutdownWaits ??= new ShutdownWaits(() => {
      const calls = this.#outstanding;
      const what = calls === 1 ? '1 call' : `${calls} calls`;
      let queued = 0;
      for (const call of this.#calls) if (!call.future.done()) queued++;
      if (!this.#initializerRunning()) return { what, initializerRunning: false, queued };
      return {
        what: calls === 0 ? 'the initializer' : `the initializer (and ${what} behind it)`,
        initializerRunning: true,
        queued,
      };
    });
    return this.#shutdownWaits.wait(terminated);
  }

  /**
   * Holds the call's slot until it settles, and settles its future unless it was ended meanwhile;
   * an ended call was counted over already (shutdown() does not wait for it) and gives back the
   * slot it was lent.
   */
  async #settleLimited(call: PendingCall, pending: PromiseLike<unknown>): Promise<void> {
    call.phase = 'awaiting';
    let outcome: unknown;
    let failed = false;
    try {
      outcome = await pending;
    } catch (error) {
      outcome = error;
      failed = true;
    }
    // (#stopRunning may have changed the phase during the await, which TypeScript cannot see.)
    if ((call.phase as PendingCall['phase']) === 'abandoned') {
      this.#returnSlot();
      return;
    }
    // Settled past its deadline before its timer could fire (its sync part held the loop): it
    // fails as the timer would have failed it, which counts it over and lends its slot.
    if (!failed && call.limited?.overdue()) {
      call.limited.endOverdue();
      if ((call.phase as PendingCall['phase']) === 'abandoned') this.#returnSlot();
      return;
    }
    if (failed) this.#fail(call.future, outcome);
    else this.#succeed(call.future, outcome);
  }

  #runModuleFunction(
    call: PendingCall,
    fn: AnyFunction | Promise<AnyFunction>,
  ): Promise<void> | undefined {
    if (typeof fn === 'function') return this.#run(call, fn);
    const limited = call.limited;
    if (limited !== undefined) {
      // The load is part of the call: its deadline counts from now, and a call ended while its
      // module loads (which may be never) frees its slot at once, as one ended while it awaits.
      limited.started();
      call.phase = 'awaiting';
    }
    return fn.then(
      (loaded) => {
        if (this.#abandonedWhileLoading(call)) return undefined;
        call.phase = 'queued-or-sync';
        return this.#run(call, loaded);
      },
      (error: unknown) => {
        if (!this.#abandonedWhileLoading(call)) this.#fail(call.future, error);
      },
    );
  }

  /** Ended while its module loaded: counted over then; the slot lent in its place goes back. */
  #abandonedWhileLoading(call: PendingCall): boolean {
    if (call.phase !== 'abandoned') return false;
    this.#returnSlot();
    return true;
  }

  // Counted over before the future settles: its done callbacks may read stats().
  #succeed(future: Future<unknown>, value: unknown): void {
    this.#outstanding--;
    if (!future.done()) {
      this.#completed++;
      future.setResult(value);
    }
    this.#afterOver();
  }

  #fail(future: Future<unknown>, error: unknown): void {
    this.#outstanding--;
    if (!future.done()) future.setException(error);
    this.#afterOver();
  }

  /** `count` calls are over; the last one lets a waiting shutdown() resolve. */
  #over(count: number): void {
    this.#outstanding -= count;
    this.#afterOver();
  }

  #afterOver(): void {
    noteCallOver();
    if (this.#outstanding === 0 && this.#onDrained !== undefined) {
      const drained = this.#onDrained;
      this.#onDrained = undefined;
      drained();
    }
    if (this.#outstanding === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  // ── The initializer and breakage ─────────────────────────────────────────────────────────

  /** The initializer has started and has neither succeeded nor failed. */
  #initializerRunning(): boolean {
    return this.#initializing !== undefined && !this.#ready && this.#broken === undefined;
  }

  /** Runners that start before the initializer has succeeded wait for it, holding their slot. */
  #initializeThenStart(): Promise<void> | null {
    if (this.#broken !== undefined) return null; // the calls were failed already
    this.#initializing ??= this.#runInitializer();
    return this.#initializing; // then the runner takes the next call (none if it broke the executor)
  }

  async #runInitializer(): Promise<void> {
    try {
      const initializer = this.#initializer!;
      const fn =
        typeof initializer === 'function'
          ? (initializer as AnyFunction)
          : await loadModuleFunction(initializer);
      // Outside every call: currentSignal() in its synchronous part throws, as at top level.
      await outsideCalls(runInitializer, [fn, this.#initargs] as const);
    } catch (cause) {
      this.#breakDown(cause);
      return;
    }
    this.#ready = true;
  }

  /** The initializer failed: every call not started fails with BrokenExecutor; submit throws it from now on. */
  #breakDown(cause: unknown): void {
    this.#broken = { cause };
    // All are counted before the first fails, as in cancelPendingCalls().
    const calls = this.#dropPendingCalls();
    for (const { future } of calls) if (future.cancelled()) this.#cancelled++;
    this.#over(calls.length);
    for (const { future } of calls)
      if (future.state === 'PENDING') future.setException(this.brokenError());
  }

  /** Empties our queue (running calls go on; the runners find it empty and end). */
  #dropPendingCalls(): PendingCall[] {
    return this.#calls.takeAll(); // a limited call leaves its timer and signal as its future ends
  }
}

/** The event loop times one call in SAMPLE_EVERY, the first one included (a power of two: the test is a mask). */
const SAMPLE_EVERY = 16;
const SAMPLE_MASK = SAMPLE_EVERY - 1;

function defaultMaxWorkers(): number {
  return Math.min(32, availableParallelism() + 4);
}

function ignore(): void {}

function handledRejection(error: Error): Promise<never> {
  const rejected = Promise.reject(error);
  rejected.catch(ignore);
  return rejected;
}

function runInitializer([fn, args]: readonly [AnyFunction, unknown[]]): unknown {
  return Reflect.apply(fn, undefined, args);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The initializer's error, for BrokenExecutor's message: never throws (a hostile error's getters may). */
function describeInitializerError(error: unknown): string {
  try {
    // By shape, not instanceof: under jest, an error of another realm is an Error all the same.
    const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
    if (typeof message === 'string' && typeof name === 'string')
      return message ? `${name}: ${message}` : name;
    return `it threw ${describe(error)}`;
  } catch {
    return `it threw ${describeAnyError(error)}`;
  }
}
