// The loop that runs inside every worker, thread or process alike: receive batches of calls, run
// them one at a time in the order received (sync or async), and send the results back in batches.
// It imports only the protocol and small helpers, never the pool. What differs between a thread and
// a process (how messages travel, whether a call handed ahead may still be cancelled) comes in
// through `WorkerSide`.
//
// A call runs in this same realm and may replace any built-in (Array.prototype.push,
// Map.prototype.get, Function.prototype.call, Promise.prototype.then, globalThis.Error, …): nothing
// here looks one up at use. Lists grow by index (`list[n] = x`, not push), loops count (no array
// iterators, no spread), maps and sets are intrinsics.ts's Safe* copies, functions are called with
// the Reflect.apply captured at load, promises are awaited (no `.then` lookup). If something still
// throws in the runtime's own path, the worker ends saying so (failWorker): a death the pool
// reports, never a silent hang.

import { setWorkerCallSignal } from '../current-signal.js';
import { decodeThrown, encodeThrown, type EncodedThrown } from '../protocol/errors.js';
import { cloneAdvice } from '../protocol/clone-advice.js';
import { unreadableArguments, unreadableResult } from '../protocol/lost.js';
import {
  Status,
  type CallableDef,
  type DoneMessage,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
} from '../protocol/messages.js';
import { explainFreeVariable, resolveCallable } from './resolve-callable.js';
import { describeError } from '../describe-error.js';
import {
  ArrayPrototypeSlice,
  NativeArray,
  NativeString,
  NativeTypeError,
  NativeError,
  ReflectApply,
  SafeAbortController,
  SafeMap,
  SafeSet,
  SafeWeakSet,
  failWorker,
  ignoreRejection,
  isPromise,
  now,
  own,
  regExpTest,
  setTimer,
  structuredCloneValue,
  unrefTimer,
} from './intrinsics.js';

export interface WorkerSide {
  /** Sends a message to the pool; throws if a value in it cannot be cloned. */
  send(message: FromWorker): void;
  /** Whether a value can travel to the pool as it is. */
  clonable(value: unknown): boolean;
  /** Claims call `seq` for running: false if the pool cancelled it first. */
  claimStart(seq: number): boolean;
  /** Call `seq` has run to its end, its result pushed (threads mark its flag; a process need not). */
  markFinished(seq: number): void;
  /** Ends the worker (all results have been sent). */
  exit(): void;
}

type AnyFunction = (...args: unknown[]) => unknown;

// Results are sent when this many are waiting, or when a batch has run this long, so that the pool
// hears of progress (and refills this worker) before the worker runs dry.
const FLUSH_EVERY_RESULTS = 128;
const FLUSH_EVERY_MS = 1;
// A process hands back the calls it holds behind a call that ran this many times its function's
// usual time, and at least HAND_BACK_MIN_MS: the pool misjudged it, and a free worker can run
// them now (threads need not: an idle thread takes them back itself, see the pool's dispatch).
const HAND_BACK_FACTOR = 4;
const HAND_BACK_MIN_MS = 5;

/** How long an idle worker keeps the results it sent in case the pool asks for them again. */
const FORGET_IDLE_MS = 1000;

/** In the queue in place of a call whose 'run' message was lost: it fails without running. */
const UNREADABLE = -0.5;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    // A native promise whose `then` a call replaced is still awaited (await does not look it up).
    (typeof (value as PromiseLike<unknown>).then === 'function' || isPromise(value))
  );
}

/** Appends `status, payload` to a results list, by index: a call may have replaced Array.prototype.push. */
function pushResult(results: unknown[], status: number, payload: unknown): void {
  const end = results.length;
  results[end] = status;
  results[end + 1] = payload;
}

export class WorkerRuntime {
  readonly #side: WorkerSide;
  readonly #functions = new SafeMap<number, AnyFunction | Promise<AnyFunction>>();
  readonly #defs = new SafeMap<number, CallableDef>();
  #queue: unknown[] = []; // flat [op, payload] pairs, as received
  #head = 0;
  #seq = 0; // sequence number of the next call to start
  #received = 0; // calls received so far: the sequence number of the next one to arrive
  #sent = 0; // results sent so far: the sequence number of the next result to send
  readonly #abortedEarly = new SafeSet<number>(); // calls aborted before they started: skipped
  // Results sent and not yet acknowledged by the pool: sent again, alone, if their message was lost.
  #unacknowledged: DoneMessage[] = [];
  // After a lost 'run' message: 'asked' the pool to send its calls again (messages lost meanwhile are
  // originals, sent again too), then 'resending' (a message lost now is one call's own). Later
  // batches wait in #held until 'resent-end'.
  #resent: 'no' | 'asked' | 'resending' = 'no';
  #forgetTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  // An idle worker gets no 'run' to acknowledge its last results: it lets them go after a while,
  // rather than keep (maybe large) values alive until the pool sends more work. A 'resend' that
  // comes later finds them gone, and the pool fails those calls as unreadable: never a hang.
  #runsReceived = 0;
  #runsAtIdle = 0;
  readonly #forgetWhenIdle = (): void => {
    this.#forgetTimer = undefined;
    if (this.#unacknowledged.length === 0) return;
    if (this.#runsReceived === this.#runsAtIdle && !this.#draining && this.#results.length === 0) {
      this.#unacknowledged = [];
      return;
    }
    // It worked since: look again a second from now (at most one timer a second).
    this.#runsAtIdle = this.#runsReceived;
    this.#forgetTimer = setTimer(this.#forgetWhenIdle, FORGET_IDLE_MS);
    unrefTimer(this.#forgetTimer);
  };
  #held: ToWorker[] = [];
  readonly #sendBeforeEachCall: boolean;
  readonly #reportStart = new SafeSet<number>(); // limited calls: the pool wants to know when they start
  #runningSeq = -1; // the call running now, -1 between calls
  #controller: AbortController | undefined = undefined; // its currentSignal(), made on first use
  #results: unknown[] = [];
  #busySince = 0;
  #draining = false;
  #flushTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  // Processes: the async call awaited now (-1: none), since when, and how long it may take before
  // the calls held behind it go back (see #checkAwaited).
  #awaitedSeq = -1;
  #awaitedSince = 0;
  #awaitedLimit = 0;
  #awaitedTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  // Calls handed back while the awaited call still ran: numbered after it, so the results' count
  // skips them only once its own result is sent (see #handBackQueued).
  #skipAfterAwaited = 0;
  readonly #fastDefs = new SafeSet<number>(); // functions whose last call here took under FLUSH_EVERY_MS
  readonly #slowMs = new SafeMap<number, number>(); // the others: how long their last call took
  readonly #handsBack: boolean; // a process (no start flags): hands back calls held behind a slow one
  #initDone = false; // the initializer has run (or there is none)
  readonly #chunkValues = new SafeWeakSet<unknown[]>(); // results of whole chunks, told apart from a call returning an array
  readonly #flushLate = (): void => {
    this.#flushTimer = undefined;
    try {
      this.#flush();
    } catch (error) {
      failWorker('sending results', error);
    }
  };
  #stopping = false;
  #initialized: Promise<boolean>;

  constructor(side: WorkerSide, init: WorkerInit) {
    this.#side = side;
    this.#sendBeforeEachCall = init.sendBeforeEachCall === true;
    this.#handsBack = init.startFlags === undefined;
    setWorkerCallSignal(() =>
      this.#runningSeq < 0 ? undefined : (this.#controller ??= new SafeAbortController()).signal,
    );
    this.#initialized = this.#initialize(init);
  }

  receive(message: ToWorker): void {
    try {
      this.#receive(message);
    } catch (error) {
      failWorker('reading a message from its pool', error);
    }
  }

  #receive(message: ToWorker): void {
    if (this.#resent !== 'no') {
      if (message.t === 'run' && own(message, 'resent')) this.#resent = 'resending';
      else if (message.t !== 'resent-end') {
        this.#held[this.#held.length] = message; // after the lost calls, in order
        return;
      }
    }
    if (message.t === 'run') {
      // The pool's optional fields are read only as the message's own: a call may have put a key of
      // the same name on Object.prototype (`forget`, `ack`), which every message would inherit.
      const forget = own(message, 'forget');
      if (forget !== undefined) this.#forgetFunctions(forget);
      const ack = own(message, 'ack');
      if (ack !== undefined && this.#unacknowledged.length > 0) this.#forget(ack);
      this.#runsReceived++; // not idle: the idle timer sees it (no timer churn per batch)
      const defs = own(message, 'defs');
      if (defs !== undefined) {
        for (let i = 0; i < defs.length; i++) {
          const def = defs[i]!;
          this.#defs.set(def.id, def);
          this.#functions.set(
            def.id,
            this.#initDone ? resolveCallable(def) : this.#resolveAfterInit(def),
          );
        }
      }
      let calls = message.calls;
      const first = own(message, 'first');
      if (first !== undefined && first !== this.#received) {
        // A 'run' message before this one was lost: its calls fail in their place, nothing shifts.
        if (first > this.#received) this.#markUnreadable(first);
        // Held while its calls were sent again one by one (see lost()): those already came.
        else calls = ArrayPrototypeSlice(calls, 2 * (this.#received - first));
      }
      if (own(message, 'reportStart') === true) this.#reportStart.add(this.#received);
      this.#received += calls.length / 2;
      const queue = this.#queue;
      for (let i = 0, end = queue.length; i < calls.length; i++) queue[end + i] = calls[i];
      if (!this.#draining) void this.#drain();
    } else if (message.t === 'abort') {
      if (message.seq === this.#runningSeq) {
        (this.#controller ??= new SafeAbortController()).abort(
          decodeThrown(message.reason as EncodedThrown),
        );
      } else if (message.seq >= this.#seq) {
        // Not started yet (a process counts it as running, and has failed its future already):
        // it must never start. Said at once, so that the pool does not end this worker for it.
        this.#abortedEarly.add(message.seq);
        this.#side.send({ t: 'willSkip', seq: message.seq });
      }
    } else if (message.t === 'resend') {
      this.#resend(message.from);
    } else if (message.t === 'resent-end') {
      this.#resent = 'no';
      const held = this.#held;
      this.#held = [];
      for (let i = 0; i < held.length; i++) this.#receive(held[i]!);
    } else if (message.t === 'stop') {
      this.#stopping = true;
      if (!this.#draining) void this.#drain();
    }
  }

  /** The pool bounds the functions a worker keeps: no call queued here needs these any more. */
  #forgetFunctions(ids: number[]): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.#functions.delete(id);
      this.#defs.delete(id);
      this.#fastDefs.delete(id);
      this.#slowMs.delete(id);
    }
  }

  /**
   * This worker could not read a message from the pool (an argument that serialises but cannot be
   * deserialised). The first time, it asks the pool to send the calls from here on again, one per
   * message; while they come, a lost one is a call whose own arguments cannot be read: it fails.
   */
  lost(): void {
    try {
      this.#lost();
    } catch (error) {
      failWorker('after a message from its pool could not be read', error);
    }
  }

  #lost(): void {
    if (this.#resent === 'resending') {
      this.#markUnreadable(this.#received + 1);
      if (!this.#draining) void this.#drain();
    } else if (this.#resent === 'no') {
      this.#resent = 'asked';
      this.#side.send({ t: 'lost', from: this.#received });
    }
  }

  /** Calls up to `next` that never arrived (their message was unreadable) take their place in the queue. */
  #markUnreadable(next: number): void {
    for (; this.#received < next; this.#received++) pushResult(this.#queue, UNREADABLE, undefined);
  }

  /** The pool has the results before `ack`: they will not be asked for again. */
  #forget(ack: number): void {
    let keep = 0;
    const sent = this.#unacknowledged;
    while (keep < sent.length && sent[keep]!.first + sent[keep]!.results.length / 2 <= ack) keep++;
    if (keep > 0) this.#unacknowledged = ArrayPrototypeSlice(sent, keep);
  }

  /** The pool could not read results from `from` on: each is sent again alone, then `end`. */
  #resend(from: number): void {
    this.#flush(); // the pool ignores this batch while it waits, but it is sent again below
    this.#sendAlone(from);
    this.#side.send({
      t: 'done',
      first: this.#sent,
      results: [],
      busyMs: 0,
      resent: true,
      end: true,
    });
  }

  /**
   * A function received before the initializer has finished is resolved only after it: importing a
   * module runs its top-level code, which may rely on what the initializer set up (or on a loader the
   * initializer registers, such as a TypeScript loader that worker threads do not inherit on Node 20).
   */
  #resolveAfterInit(def: CallableDef): Promise<AnyFunction> {
    const later = this.#afterInit(def);
    ignoreRejection(later); // a call that is cancelled never awaits it: no unhandled rejection
    return later;
  }

  async #afterInit(def: CallableDef): Promise<AnyFunction> {
    if (!(await this.#initialized)) throw new NativeError('The initializer failed.');
    return await resolveCallable(def);
  }

  async #initialize(init: WorkerInit): Promise<boolean> {
    if (init.initializer === undefined) {
      this.#initDone = true;
      this.#side.send({ t: 'ready' });
      return true;
    }
    try {
      const fn = await resolveCallable(init.initializer);
      await ReflectApply(fn, undefined, init.initargs);
      this.#initDone = true;
      this.#side.send({ t: 'ready' });
      return true;
    } catch (error) {
      this.#side.send({
        t: 'initFailed',
        error: encodeThrown(explainFreeVariable(error, init.initializer), this.#side.clonable),
      });
      return false;
    }
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      await this.#drainQueue();
    } catch (error) {
      // Calls' own errors are caught where they run: this is the runtime's own failure.
      failWorker('running its calls', error);
    } finally {
      this.#draining = false;
    }
    if (this.#stopping && this.#head >= this.#queue.length) {
      try {
        this.flushResults(); // no 'resend' can be answered after this
      } catch (error) {
        failWorker('sending its last results', error);
      }
      this.#side.exit();
    }
  }

  async #drainQueue(): Promise<void> {
    // The pool breaks itself when the initializer fails: run nothing, and wait to be ended.
    if (!(await this.#initialized)) return;
    this.#busySince = now();
    while (this.#head < this.#queue.length) {
      const op = this.#queue[this.#head] as number;
      const payload = this.#queue[this.#head + 1] as unknown[];
      this.#queue[this.#head] = this.#queue[this.#head + 1] = undefined;
      this.#head += 2;
      const seq = this.#seq++;
      let finishedAt: number | undefined;
      if (
        !this.#side.claimStart(seq) ||
        (this.#abortedEarly.size > 0 && this.#abortedEarly.delete(seq))
      ) {
        pushResult(this.#results, Status.Skipped, undefined);
        this.#reportStart.delete(seq);
      } else if (op === UNREADABLE) {
        pushResult(
          this.#results,
          Status.Threw,
          encodeThrown(unreadableArguments(), this.#side.clonable),
        );
        this.#reportStart.delete(seq);
      } else {
        this.#runningSeq = seq;
        this.#controller = undefined;
        const id = op >= 0 ? op : -op - 1;
        let fn = this.#functions.get(id)!;
        if (!(typeof fn === 'function')) {
          try {
            fn = await fn;
            this.#functions.set(id, fn);
          } catch (error) {
            this.#pushError(op >= 0 ? Status.Threw : Status.ChunkThrew, error, id);
            this.#side.markFinished(seq);
            this.#runningSeq = -1;
            this.#reportStart.delete(seq);
            continue;
          }
        }
        // A limited call's timeout counts from here: its function is ready (imported, compiled).
        if (this.#reportStart.size > 0 && this.#reportStart.delete(seq)) {
          this.#flush(); // results before it must not arrive after its start
          this.#side.send({ t: 'started', seq });
        }
        // A call of a function not yet seen to finish fast may hold this thread for long, or kill
        // it (out of memory under resourceLimits), with the results before it unsent: send them
        // first, or their futures would wait for it, or fail with it. Known fast functions skip
        // this, so their results still travel back in batches.
        // With resourceLimits, every call may be one that runs out of memory: always send first.
        if (this.#results.length > 0 && (!this.#fastDefs.has(id) || this.#sendBeforeEachCall))
          this.#flush();
        const startedAt = now();
        // Await only a call that returned a promise: `await undefined` would still cost a turn per call.
        const pending =
          op >= 0
            ? this.#runOne(fn, payload, id)
            : this.#runChunk(fn, payload as [number, unknown[]], id);
        if (pending !== undefined) {
          // An async call may wait long (I/O, a timer) while the results of the calls before it
          // sit unsent here: send them if it has not settled within FLUSH_EVERY_MS, or their
          // futures would wait for it (a fast call's result arrived only once a slow one ended).
          if (this.#results.length > 0 && this.#flushTimer === undefined)
            this.#flushTimer = setTimer(this.#flushLate, FLUSH_EVERY_MS);
          if (this.#handsBack) this.#watchAwaited(seq, id, startedAt);
          await pending;
          this.#awaitedSeq = -1;
          if (this.#skipAfterAwaited > 0) {
            this.#flush(); // its result, numbered before the calls handed back behind it
            this.#sent += this.#skipAfterAwaited;
            this.#skipAfterAwaited = 0;
          }
        }
        this.#side.markFinished(seq);
        this.#runningSeq = -1;
        finishedAt = now(); // one clock read per call serves both checks below
        const took = finishedAt - startedAt;
        if (took < FLUSH_EVERY_MS) {
          if (!this.#fastDefs.has(id)) this.#fastDefs.add(id);
        } else {
          if (this.#handsBack && this.#head < this.#queue.length) this.#maybeHandBack(id, took);
          this.#fastDefs.delete(id);
          this.#slowMs.set(id, took);
          this.#lastSlowMs = took; // a flush follows: its batch ends with this call
        }
      }
      if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
        this.#queue = ArrayPrototypeSlice(this.#queue, this.#head);
        this.#head = 0;
      }
      if (
        this.#results.length >= FLUSH_EVERY_RESULTS * 2 ||
        (finishedAt ?? now()) - this.#busySince >= FLUSH_EVERY_MS
      )
        this.#flush();
    }
    this.#queue = [];
    this.#head = 0;
    this.#flush();
    if (this.#unacknowledged.length > 0 && this.#forgetTimer === undefined) {
      // At most one timer a second, however many batches: it forgets only if no 'run' came since.
      this.#runsAtIdle = this.#runsReceived;
      this.#forgetTimer = setTimer(this.#forgetWhenIdle, FORGET_IDLE_MS);
      unrefTimer(this.#forgetTimer);
    }
  }

  /**
   * A call of function `id` just took `took` ms. If that is far past its usual time here, the calls
   * still queued behind it were handed ahead on a wrong guess: give them back, unstarted, so a free
   * worker runs them (a function never run here has no usual time: a pool of several workers sends
   * such a call alone, and a pool of one has no other worker). The results so far go first, so the
   * pool sees the calls before them done.
   */
  #maybeHandBack(id: number, took: number): void {
    const usual = this.#fastDefs.has(id) ? 0 : this.#slowMs.get(id);
    if (usual === undefined || took < HAND_BACK_MIN_MS || took < HAND_BACK_FACTOR * usual) return;
    this.#handBackQueued(false);
  }

  /**
   * An async call is being awaited: if it has not settled past its function's usual time (as
   * #maybeHandBack judges a call that ended), the calls held behind it go back at once, and the
   * pool hands this process nothing more until the call ends. A call that awaits for ever (a
   * request with no timeout) stranded every call handed ahead behind it, while other processes
   * sat idle. One timer at a time, whatever the number of async calls that come and go.
   */
  #watchAwaited(seq: number, id: number, startedAt: number): void {
    const usual = this.#fastDefs.has(id) ? 0 : (this.#slowMs.get(id) ?? 0);
    this.#awaitedSeq = seq;
    this.#awaitedSince = startedAt;
    this.#awaitedLimit = Math.max(HAND_BACK_MIN_MS, HAND_BACK_FACTOR * usual);
    if (this.#awaitedTimer === undefined) {
      this.#awaitedTimer = setTimer(this.#checkAwaited, this.#awaitedLimit);
      unrefTimer(this.#awaitedTimer);
    }
  }

  readonly #checkAwaited = (): void => {
    this.#awaitedTimer = undefined;
    if (this.#awaitedSeq < 0) return; // settled; the next async call arms the timer again
    const waited = now() - this.#awaitedSince;
    if (waited >= this.#awaitedLimit && this.#head < this.#queue.length) {
      try {
        this.#handBackQueued(true);
      } catch (error) {
        failWorker('handing calls back', error);
      }
    }
    // Still awaited: calls sent before the pool read the hand-back may still come, and go back too.
    // Soon after it, they would have; later, a call that awaits for ever is looked at once a second.
    const limit = this.#awaitedLimit;
    const wait =
      waited < limit ? limit - waited : waited < 4 * limit ? limit : Math.max(limit, 1000);
    this.#awaitedTimer = setTimer(this.#checkAwaited, wait);
    unrefTimer(this.#awaitedTimer);
  };

  /** Gives the pool back, unstarted, every call queued here (after the results held before them). */
  #handBackQueued(stillRunning: boolean): void {
    this.#flush();
    const from = this.#seq;
    const count = (this.#queue.length - this.#head) / 2;
    this.#side.send(
      stillRunning ? { t: 'handBack', from, count, stillRunning } : { t: 'handBack', from, count },
    );
    for (let seq = from; seq < from + count; seq++) this.#reportStart.delete(seq);
    this.#seq += count; // the pool numbers the calls it sends next after these
    // And their results never come: the next batch's `first` is after them. Behind a call still
    // running, once that call's result is sent (it comes before them).
    if (stillRunning) this.#skipAfterAwaited += count;
    else this.#sent += count;
    this.#queue = [];
    this.#head = 0;
  }

  // Not async: a sync call that returns a plain value costs no promise.
  #runOne(fn: AnyFunction, args: unknown[], id: number): Promise<void> | undefined {
    let value: unknown;
    try {
      // Reflect.apply as captured at load: a call may have replaced Function.prototype.call/apply
      // or Array.prototype[Symbol.iterator] (which spread arguments use).
      value = ReflectApply(fn, undefined, args);
      // Inside the try: a result whose `then` getter throws fails its call (as awaiting it would).
      if (!isThenable(value)) {
        pushResult(this.#results, Status.Returned, value);
        return undefined;
      }
    } catch (error) {
      this.#pushError(Status.Threw, error, id);
      return undefined;
    }
    return this.#settleOne(value, id);
  }

  /** Awaits a call's promise: `await` takes no `then` from Promise.prototype, which a call may replace. */
  async #settleOne(value: unknown, id: number): Promise<void> {
    let settled: unknown;
    try {
      settled = await value;
    } catch (error) {
      this.#pushError(Status.Threw, error, id);
      return;
    }
    pushResult(this.#results, Status.Returned, settled);
  }

  /** A chunk: `[arity, flatArgs]`, the argument lists back to back (see map.ts). */
  #runChunk(fn: AnyFunction, chunk: [number, unknown[]], id: number): Promise<void> | undefined {
    // Indexed, not destructured: array destructuring goes through Array.prototype[Symbol.iterator].
    const arity = chunk[0];
    const flat = chunk[1];
    const count = arity === 0 ? 0 : flat.length / arity;
    const values: unknown[] = new NativeArray(count);
    for (let i = 0; i < count; i++) {
      let value: unknown;
      let thenable: boolean;
      try {
        value =
          arity === 1
            ? fn(flat[i])
            : arity === 2
              ? fn(flat[2 * i], flat[2 * i + 1])
              : ReflectApply(
                  fn,
                  undefined,
                  ArrayPrototypeSlice(flat, i * arity, i * arity + arity),
                );
        thenable = isThenable(value); // a throwing `then` getter fails the item
      } catch (error) {
        values.length = i;
        pushResult(this.#results, Status.ChunkThrew, [values, this.#encode(error, id)]);
        return undefined;
      }
      // The first async item turns the rest of the chunk async; a sync chunk costs no promise.
      if (thenable)
        return this.#finishChunkAsync(
          fn,
          arity,
          flat,
          values,
          i,
          value as PromiseLike<unknown>,
          id,
        );
      values[i] = value;
    }
    this.#chunkValues.add(values);
    pushResult(this.#results, Status.Returned, values);
    return undefined;
  }

  async #finishChunkAsync(
    fn: AnyFunction,
    arity: number,
    flat: unknown[],
    values: unknown[],
    from: number,
    first: PromiseLike<unknown>,
    id: number,
  ): Promise<void> {
    const count = values.length;
    for (let i = from; i < count; i++) {
      try {
        values[i] = await (i === from
          ? first
          : ReflectApply(fn, undefined, ArrayPrototypeSlice(flat, i * arity, i * arity + arity)));
      } catch (error) {
        values.length = i;
        pushResult(this.#results, Status.ChunkThrew, [values, this.#encode(error, id)]);
        return;
      }
    }
    this.#chunkValues.add(values);
    pushResult(this.#results, Status.Returned, values);
  }

  #pushError(status: number, error: unknown, id: number): void {
    const encoded = this.#encode(error, id);
    pushResult(this.#results, status, status === Status.ChunkThrew ? [[], encoded] : encoded);
  }

  #encode(error: unknown, id: number): unknown {
    const def = this.#defs.get(id);
    let explained = error;
    try {
      if (def !== undefined) explained = explainFreeVariable(error, def);
    } catch {
      // Reading the thrown value threw (a Proxy, a getter): encodeThrown describes it as it can.
    }
    return encodeThrown(explained, this.#side.clonable);
  }

  /**
   * Sends the results not sent yet, now. The thread entry calls it as the worker exits (a call ran
   * process.exit(), an uncaught error): calls that finished before it must not be lost with it.
   */
  flushResults(): void {
    // No round trip is left to ask for a lost batch again: every result the pool may not have
    // read goes alone (the pool drops the ones it has), so a value that cannot be read back takes
    // no neighbour with it. Only on the way out: it costs one message per result.
    if (this.#results.length > 0) {
      this.#unacknowledged[this.#unacknowledged.length] = {
        t: 'done',
        first: this.#sent,
        results: this.#results,
        busyMs: 0,
      };
      this.#sent += this.#results.length / 2;
      this.#results = [];
    }
    this.#sendAlone(0);
    this.#unacknowledged = [];
    // Marks every result sent: a result lost even alone fails its call as unreadable, not as a death.
    try {
      this.#side.send({ t: 'done', first: this.#sent, results: [], busyMs: 0, resent: true });
    } catch {
      // The channel is gone.
    }
  }

  /** Sends each result kept from `from` on again, one per message (see messages.ts). */
  #sendAlone(from: number): void {
    const unacknowledged = this.#unacknowledged;
    for (let d = 0; d < unacknowledged.length; d++) {
      const done = unacknowledged[d]!;
      const results = done.results;
      for (let i = 0; i < results.length; i += 2) {
        const seq = done.first + i / 2;
        if (seq < from) continue;
        const message: DoneMessage = {
          t: 'done',
          first: seq,
          results: [results[i], results[i + 1]],
          busyMs: 0,
          resent: true,
        };
        // Rare path (a batch was lost, or the worker is leaving): each result is checked with a
        // full round trip, so a value that cannot be read back fails here, saying so, and a
        // chunk keeps the items before it, instead of the whole result being lost again.
        if (!this.#side.clonable(results[i + 1]))
          message.results = this.#replaceUnclonable(message.results, undefined);
        try {
          this.#side.send(message);
        } catch (error) {
          // Not sent before (kept at exit): a value that cannot travel fails its call alone.
          try {
            this.#side.send({
              ...message,
              results: this.#replaceUnclonable(message.results, error),
            });
          } catch {
            // The channel is gone: the pool accounts for the call by the exit.
          }
        }
      }
    }
  }

  /** The time of a slow call whose result is not sent yet (0: none), for the pool's stats. */
  #lastSlowMs = 0;

  #flush(): void {
    if (this.#results.length === 0) return;
    const flushedAt = now();
    // Whole literals, never a field assigned later: a setter a call put on Object.prototype
    // (`slowMs`) would run instead, and the field would not travel.
    const message: DoneMessage =
      this.#lastSlowMs > 0
        ? {
            t: 'done',
            first: this.#sent,
            results: this.#results,
            busyMs: flushedAt - this.#busySince,
            slowMs: this.#lastSlowMs,
          }
        : {
            t: 'done',
            first: this.#sent,
            results: this.#results,
            busyMs: flushedAt - this.#busySince,
          };
    this.#lastSlowMs = 0;
    this.#sent += this.#results.length / 2;
    this.#results = [];
    this.#busySince = flushedAt;
    let sent = message;
    try {
      this.#side.send(message);
    } catch (error) {
      sent = { ...message, results: this.#replaceUnclonable(message.results, error) };
      try {
        this.#side.send(sent);
      } catch (again) {
        // Still refused (a value that `clonable` passed, yet the channel's serialiser throws on):
        // every call of the batch fails saying so, rather than the worker dying with its results.
        sent = { ...message, results: allFailed(sent.results, again, this.#side.clonable) };
        this.#side.send(sent);
      }
    }
    // One push per batch, not per result; the pool's next 'run' lets it go (see #forget).
    this.#unacknowledged[this.#unacknowledged.length] = sent;
  }

  /** After a send failed: each value that cannot travel becomes an error saying so, for its call alone. */
  #replaceUnclonable(results: unknown[], sendError: unknown): unknown[] {
    const batchWhy = describeError(sendError);
    // Each value's own reason: the batch's error names only the first value that failed.
    const why = (value: unknown): string => whyUnclonable(value) ?? batchWhy;
    const fixed = ArrayPrototypeSlice(results);
    for (let i = 0; i < fixed.length; i += 2) {
      const status = fixed[i];
      const payload = fixed[i + 1];
      if (
        status === Status.Returned &&
        this.#chunkValues.has(payload as unknown[]) &&
        !this.#side.clonable(payload)
      ) {
        // A chunk whose every item returned, one of them a value that cannot travel: that item
        // fails like a throwing one, so the items before it are still yielded.
        const values = payload as unknown[];
        const firstBad = this.#firstUnclonable(values);
        fixed[i] = Status.ChunkThrew;
        fixed[i + 1] = [
          ArrayPrototypeSlice(values, 0, firstBad === -1 ? values.length : firstBad),
          encodeThrown(unclonableResult(why(values[firstBad])), this.#side.clonable),
        ];
      } else if (status === Status.Returned && !this.#side.clonable(payload)) {
        fixed[i] = Status.Threw;
        fixed[i + 1] = encodeThrown(unclonableResult(why(payload)), this.#side.clonable);
      } else if (status === Status.ChunkThrew && !this.#side.clonable(payload)) {
        // Keep the results before the first value that cannot travel; that item becomes the error.
        const values = (payload as [unknown[], unknown])[0];
        const firstBad = this.#firstUnclonable(values);
        fixed[i + 1] = [
          ArrayPrototypeSlice(values, 0, firstBad === -1 ? values.length : firstBad),
          encodeThrown(unclonableResult(why(values[firstBad])), this.#side.clonable),
        ];
      }
    }
    return fixed;
  }

  #firstUnclonable(values: unknown[]): number {
    for (let i = 0; i < values.length; i++) if (!this.#side.clonable(values[i])) return i;
    return -1;
  }
}

/** Why structuredClone refuses `value` (its message), or undefined if it does not. */
function whyUnclonable(value: unknown): string | undefined {
  try {
    structuredCloneValue(value);
    return undefined;
  } catch (error) {
    try {
      return NativeString((error as Error)?.message ?? error);
    } catch {
      return undefined;
    }
  }
}

function allFailed(
  results: unknown[],
  sendError: unknown,
  clonable: (value: unknown) => boolean,
): unknown[] {
  let why: string;
  try {
    why = NativeString((sendError as Error)?.message ?? sendError);
  } catch {
    why = 'the channel refused it';
  }
  const failed = ArrayPrototypeSlice(results);
  for (let i = 0; i < failed.length; i += 2) {
    if (failed[i] === Status.Skipped) continue;
    const encoded = encodeThrown(unclonableResult(why), clonable);
    failed[i + 1] =
      failed[i] === Status.Returned || failed[i] === Status.Threw ? encoded : [[], encoded];
    if (failed[i] === Status.Returned) failed[i] = Status.Threw;
  }
  return failed;
}

function unclonableResult(why: string): TypeError {
  if (regExpTest(/deserializ/i, why)) return unreadableResult();
  return new NativeTypeError(
    `The call's result could not be sent back from the worker (${why}). ${cloneAdvice(why, 'Return')}`,
  );
}
