// Dispatch, the pool's half that moves calls: its queue, picking a worker, the hand-ahead window
// per function, batches, completing futures from results, taking calls back from a busy thread and
// taking the calls a process hands back. What it knows of the workers' lives (which exist, whether
// the pool is broken, starting one more) it asks its host, PoolExecutor, which owns the workers'
// lifecycle: starts, exits, breakage and shutdown.
//
//   queue ──run()──▶ pickWorker: idle ▸ new (≤ maxWorkers) ▸ least loaded with room in the window
//     ▲                          of the head call's function
//     │              sendBatch: one 'run' message, each call as far ahead as its function allows
//     │                          (a limited call first in a message of its own)
//     │   take back (threads, queue empty, a worker idle): unstarted calls of busy workers,
//     ├── by compare-exchange on their start flags
//     └── hand back (processes): a child gives back the calls behind a call far past its estimate

import { setRemoteStart } from '../future.js';
import { ChunkFailure } from '../map.js';
import { cloneAdvice } from '../protocol/clone-advice.js';
import { decodeThrown, type EncodedThrown } from '../protocol/errors.js';
import {
  START_FLAG_SLOTS,
  Status,
  type CallableDef,
  type DoneMessage,
} from '../protocol/messages.js';
import { Deque } from '../deque.js';
import { takenBackStandIn, type Call } from './call.js';
import { defName } from './callable-registry.js';
import type { PoolLimits } from './limit-adapter.js';
import { takeLostCalls } from './lost-calls.js';
import type { PoolWorker } from './pool-worker.js';
import { describeError } from '../describe-error.js';
import { LogHistogram } from '../stats.js';
import { performance, queueMicrotask } from '../timers.js';

/** What dispatch asks of the pool that owns the workers. */
export interface DispatchHost {
  /** The workers alive (the pool adds and removes them). */
  readonly workers: ReadonlySet<PoolWorker>;
  readonly maxWorkers: number;
  /** Threads: a call handed ahead can be taken back unstarted (see PoolExecutor). */
  takesCallsBack(): boolean;
  isBroken(): boolean;
  /** Starts one more worker (the caller checked maxWorkers); undefined if it could not (the pool is broken). */
  startWorker(): PoolWorker | undefined;
  /** After each dispatch: the pool may finish its shutdown. */
  afterDispatch(): void;
}

/** Hand a worker about this much work ahead (see docs/design.md). */
const HAND_AHEAD_MS = 1;
/**
 * A function whose calls take this long or longer is fed one call ahead (Python's bound), and only
 * while the queue holds a call for every worker. Not none: a worker that waits for its next call
 * waits a round trip, 1–3 ms on a busy 2-core machine (the pool's thread must be woken and
 * scheduled), which cost the prime job 4–5% of its time on one worker. Not at the tail of a batch:
 * there the call would wait a whole call while another worker may fall idle, to be taken back.
 * Not where held calls can strand (see #heldCallsCanStrand).
 */
const SLOW_CALL_MS = 10;
const MAX_WINDOW = START_FLAG_SLOTS;
/**
 * The window of a function not yet measured: one call running and one ahead, Python's bound
 * (EXTRA_QUEUED_CALLS = 1: "a larger number will make Future.cancel() succeed less frequently");
 * none where held calls can strand (see #heldCallsCanStrand).
 */
const UNTIMED_WINDOW = 2;

/** What the pool has learnt of one function's calls (per callable id). */
interface Estimate {
  /** Milliseconds per call, a moving average. */
  ms: number;
  /** Calls one worker may hold of this function, running or handed ahead. */
  window: number;
  /** Its calls take SLOW_CALL_MS or more: handed ahead only while the queue can feed every worker. */
  slow: boolean;
}

export class Dispatcher {
  /** Calls not yet handed to a worker, oldest first. */
  readonly queue = new Deque<Call>();
  readonly #host: DispatchHost;
  readonly #limits: PoolLimits;
  /** Per callable id: how long its calls take, and so how far ahead its calls are handed. */
  readonly #estimates = new Map<number, Estimate>();
  readonly #runNow = (): void => this.run();
  #scheduled = false;
  // Stats (see PoolExecutor.stats): counters, and times from the clock readings dispatch and the
  // workers already make — one per dispatch here, one per batch in the worker — never one per call.
  /** Futures settled with a result. */
  completed = 0;
  /** Cancelled futures this pool has let go (notified); those still held are counted by looking. */
  cancelled = 0;
  /** Milliseconds of work the workers reported. */
  busyMs = 0;
  readonly runTimes = new LogHistogram();
  readonly waitTimes = new LogHistogram();
  /** When this dispatch began: the time every call it hands over is charged its wait up to. */
  #dispatchedAt = 0;

  constructor(host: DispatchHost, limits: PoolLimits) {
    this.#host = host;
    this.#limits = limits;
  }

  /** Its running limited call is being ended: what the worker holds and has not started runs elsewhere. */
  takeBackAll(worker: PoolWorker): void {
    if (this.#takeBackFrom(worker, [], true)) this.schedule();
  }

  // ── Dispatch ─────────────────────────────────────────────────────────────────────────────

  /** Dispatches soon: in a microtask. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A microtask, not at once: no call starts inside submit(), and every submit of this tick
    // goes out in one message.
    queueMicrotask(this.#runNow);
  }

  /** Hands queued calls to workers now; takes calls back for idle workers. */
  run(): void {
    this.#scheduled = false;
    if (this.#host.isBroken()) return;
    this.#stampNewCalls();
    // Taking back moves calls from busy workers to idle ones; a few rounds at most settle it.
    for (let round = 0; round <= this.#host.workers.size; round++) {
      this.#fillWorkers();
      if (this.queue.length > 0 || !this.#takeBack()) break;
    }
    this.#host.afterDispatch();
  }

  /**
   * Reads the clock once for this dispatch, and stamps with it the calls submitted since the last
   * one (the tail of the queue: calls put back go to its head, stamped already). Every submit of a
   * tick is dispatched in one microtask, so this is their submit time to within that tick.
   */
  #stampNewCalls(): void {
    const now = performance.now();
    this.#dispatchedAt = now;
    const queue = this.queue;
    for (let index = queue.length - 1; index >= 0; index--) {
      const call = queue.at(index)!;
      if (call.queuedAt !== 0) break;
      call.queuedAt = now;
    }
  }

  #fillWorkers(): void {
    for (;;) {
      this.dropCancelledHead();
      const head = this.queue.peek();
      if (head === undefined) break;
      const alone =
        head.transfer !== undefined || (head.limited !== undefined && !this.#host.takesCallsBack());
      const worker = this.#pickWorker(alone, this.#windowOf(head.def.id));
      if (worker === undefined) break;
      this.#sendBatch(worker);
    }
  }

  /** Calls of function `id` one worker may hold now, running or handed ahead (see SLOW_CALL_MS). */
  #windowOf(id: number): number {
    const estimate = this.#estimates.get(id);
    if (estimate === undefined) return this.#heldCallsCanStrand() ? 1 : UNTIMED_WINDOW;
    if (!estimate.slow) return estimate.window;
    return this.#heldCallsCanStrand() || this.queue.length < this.#host.workers.size
      ? 1
      : estimate.window;
  }

  /**
   * Whether a call held ahead by a busy worker could wait there while another worker sits idle: on
   * a process pool of more than one worker. A child cannot be asked for a call it holds (a thread's
   * is taken back), and the call before it may be a page that takes seconds or a call that hangs,
   * where Python's shared call queue would let the first free worker take it. So there, only calls
   * of a function measured fast are handed ahead, and only to a child that holds nothing else: a call
   * of a function not measured fast goes to a free child and holds it alone (a child whose fast call
   * runs far past its function's usual time hands back the calls behind it when it ends).
   */
  #heldCallsCanStrand(): boolean {
    return !this.#host.takesCallsBack() && this.#host.maxWorkers > 1;
  }

  /**
   * An idle worker; else a new one while under maxWorkers; else the least loaded with room. A
   * call sent `alone` takes only an idle or a new worker, and a worker holding a call alone takes nothing.
   */
  #pickWorker(alone: boolean, window: number): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const worker of this.#host.workers) {
      if (worker.life !== 'working' || worker.heldAlone !== undefined) continue;
      const load = worker.inFlight.length;
      if (load === 0) return worker;
      if (!alone && load < window && (best === undefined || load < best.inFlight.length))
        best = worker;
    }
    if (this.#host.workers.size < this.#host.maxWorkers) return this.#host.startWorker();
    return best;
  }

  /** Whether a call could start now elsewhere than on `worker`: another idle worker, or room for a new one. */
  #hasSpareWorker(worker: PoolWorker): boolean {
    if (this.#host.workers.size < this.#host.maxWorkers) return true;
    for (const other of this.#host.workers) {
      if (other !== worker && other.inFlight.length === 0 && other.life === 'working') return true;
    }
    return false;
  }

  /** Drops the cancelled calls at the head of the queue, notifying their futures. */
  dropCancelledHead(): void {
    for (
      let call = this.queue.peek();
      call !== undefined && call.future.done();
      call = this.queue.peek()
    ) {
      this.queue.shift();
      this.#dropEnded(call);
    }
  }

  /**
   * A queued call whose future ended before it was sent: cancelled (notified here), or ended by
   * someone else through the executor-only methods (setResult(), setRunningOrNotifyCancel()),
   * which must not throw in here and wreck the pool for every other call.
   */
  #dropEnded(call: Call): void {
    const state = call.future.state;
    if (state === 'CANCELLED') call.future.setRunningOrNotifyCancel();
    if (state === 'CANCELLED' || state === 'CANCELLED_AND_NOTIFIED') this.cancelled++;
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
    let slow = false;
    let mayRunLong = false;
    let room = worker.tasksLeft;
    const calls: Call[] = [];
    const flat: unknown[] = [];
    let defs: CallableDef[] | undefined;
    let limited = false;
    let transfer: Call['transfer'];
    while (calls.length < room) {
      const call = this.queue.peek();
      if (call === undefined) break;
      if (call.future.done()) {
        this.queue.shift();
        this.#dropEnded(call);
        continue;
      }
      // A slow function's window depends on how many calls are left queued: judged for each call.
      if (call.def.id !== windowId || slow) {
        windowId = call.def.id;
        const estimate = this.#estimates.get(windowId);
        slow = estimate?.slow === true;
        mayRunLong = (estimate === undefined || slow) && this.#heldCallsCanStrand();
        window = spare ? 1 : this.#windowOf(windowId);
      }
      if (held + calls.length >= window) break;
      if (mayRunLong) {
        // Its window is 1, so it is first, on a free worker: that worker takes nothing else until
        // it reports back, so no call waits behind it (see #heldCallsCanStrand).
        worker.holdAlone(call);
        room = 1;
      }
      if (call.transfer !== undefined) {
        // What it moves cannot be sent again: it goes alone to a free worker, which takes nothing
        // else until it is done, so it is never handed ahead nor taken back (see the Rulings).
        if (calls.length > 0 || held > 0) break;
        worker.holdAlone(call);
        transfer = call.transfer;
        room = 1;
      }
      if (call.limited !== undefined) {
        // A limited call travels first in a message of its own (so the worker can report its
        // start); a process's, alone on a free worker, which then takes nothing else meanwhile.
        if (calls.length > 0) break;
        if (!this.#host.takesCallsBack()) {
          if (held > 0) break;
          worker.holdAlone(call);
        }
        limited = true;
        room = 1;
      }
      this.queue.shift();
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
    const reportStart =
      limited && (!worker.ready || defs !== undefined || held > 0) ? true : undefined;
    const forget =
      defs !== undefined && worker.defined.size > MAX_FUNCTIONS_PER_WORKER
        ? forgetOldFunctions(worker, calls)
        : undefined;
    try {
      worker.post(
        reportStart
          ? { t: 'run', defs, calls: flat, reportStart, forget }
          : forget !== undefined
            ? { t: 'run', defs, calls: flat, forget }
            : { t: 'run', defs, calls: flat },
        transfer,
      );
    } catch (error) {
      this.#sendOneByOne(worker, defs, calls, error, limited, reportStart);
      return;
    }
    for (const call of calls) this.#handOver(worker, call);
    if (limited && !reportStart) this.#limits.started(worker, calls[0]!.seq);
    this.#afterSend(worker);
  }

  /** A batch could not be cloned: send its calls one at a time, failing only those that cannot travel. */
  #sendOneByOne(
    worker: PoolWorker,
    defs: CallableDef[] | undefined,
    calls: Call[],
    batchError: unknown,
    limited: boolean,
    reportStart: true | undefined,
  ): void {
    // A call sent alone (limited or not yet measured fast, on a process; or moving a transfer list)
    // holds its worker only once it travels: held again below.
    const alone =
      worker.heldAlone !== undefined && calls.includes(worker.heldAlone)
        ? worker.heldAlone
        : undefined;
    if (alone !== undefined) worker.release(alone);
    // Whatever post() threw is about the values (a DataCloneError, a throwing getter, a stack
    // overflow): a PoolWorker whose channel is gone sends nothing and throws nothing.
    void batchError;
    if (defs !== undefined) worker.post({ t: 'run', defs, calls: [] });
    // Failed once every call of the batch is in its worker's hands: a done callback (one that calls
    // shutdown(), say) must not find calls of the batch in neither the queue nor a worker.
    const unsendable: Array<{ call: Call; error: unknown }> = [];
    for (const call of calls) {
      worker.prepareStart(worker.nextSeq);
      try {
        const single = [call.chunk ? -call.def.id - 1 : call.def.id, call.payload];
        worker.post(
          reportStart
            ? { t: 'run', defs: undefined, calls: single, reportStart }
            : { t: 'run', defs: undefined, calls: single },
          call.transfer,
        );
        if (call === alone) worker.holdAlone(call);
      } catch (error) {
        unsendable.push({ call, error });
        continue;
      }
      this.#handOver(worker, call);
      if (limited && !reportStart) this.#limits.started(worker, call.seq);
    }
    this.#afterSend(worker);
    for (const { call, error } of unsendable)
      call.future.setException(
        new TypeError(
          `The arguments of ${defName(call.def)} could not be sent to a worker ` +
            `(${describeError(error)}). ${cloneAdvice(describeError(error), 'Pass')}`,
          { cause: error },
        ),
      );
  }

  #handOver(worker: PoolWorker, call: Call): void {
    if (call.queuedAt > 0) {
      this.waitTimes.record(this.#dispatchedAt - call.queuedAt);
      call.queuedAt = -1; // its wait is counted once, even if it is taken back and sent again
    }
    call.worker = worker;
    call.seq = worker.numberNextCall();
    worker.inFlight.push(call);
    if (call.handedBack) call.handedBack = false;
    else worker.handedOver(call);
  }

  #afterSend(worker: PoolWorker): void {
    if (worker.inFlight.length > 0) worker.ref();
    if (worker.tasksLeft === 0) worker.stop();
  }

  // ── Completion ───────────────────────────────────────────────────────────────────────────

  /** A worker sent results: the n-th is its n-th call in inFlight. */
  complete(worker: PoolWorker, message: DoneMessage): void {
    const results = message.results;
    // Results of earlier calls that never arrived (unreadable): those calls fail alone.
    if (worker.inFlight.length > 0 && worker.inFlight.peek()!.seq < message.first)
      for (const call of takeLostCalls(worker, message.first)) {
        if (call === worker.heldAlone) worker.release(call);
        if (call.future.state === 'CANCELLED_AND_NOTIFIED') this.cancelled++; // notified there
      }
    // Which functions these calls belong to, for their estimates: nearly always one.
    let measuredId = -1;
    let otherIds: Set<number> | undefined;
    let measuredCalls = 0;
    for (let i = 0; i < results.length; i += 2) {
      const call = worker.inFlight.shift();
      if (call === undefined) break;
      const future = call.future;
      const status = results[i];
      if (status !== Status.Skipped) {
        measuredCalls++;
        const id = call.def.id;
        if (measuredId === -1) measuredId = id;
        else if (id !== measuredId) (otherIds ??= new Set()).add(id);
      }
      // A call that held its worker alone frees it.
      if (call === worker.heldAlone) worker.release(call);
      if (future.done()) {
        if (future.state === 'CANCELLED') {
          future.setRunningOrNotifyCancel();
          this.cancelled++;
        }
        continue; // cancelled before it started, or failed already by a broken pool
      }
      // Counted before the future settles: its done callbacks may read stats().
      if (status === Status.Returned) {
        this.completed++;
        future.setResult(results[i + 1]);
      } else if (status === Status.Threw)
        future.setException(decodeThrown(results[i + 1] as EncodedThrown));
      else if (status === Status.ChunkThrew) {
        const [before, error] = results[i + 1] as [unknown[], EncodedThrown];
        future.setException(new ChunkFailure(before, decodeThrown(error)));
      } else future.setException(skippedUncancelled(call));
    }
    if (measuredCalls === 0) return;
    // The worker times a batch, not each call: a batch of several functions (rare: a worker sends
    // a slow function's result apart) charges each the batch's average. So do the stats' run
    // times: a call of a batch counts as the batch's average (a slow call goes back alone).
    const perCall = message.busyMs / measuredCalls;
    this.busyMs += message.busyMs;
    const slowMs = message.slowMs;
    if (slowMs === undefined || measuredCalls === 1) this.runTimes.record(perCall, measuredCalls);
    else {
      // Its last call was slow (the worker sends a batch as soon as one is): it counts as itself,
      // the fast ones before it share the rest, so one slow call does not vanish into an average.
      this.runTimes.record(slowMs);
      this.runTimes.record(
        Math.max(0, message.busyMs - slowMs) / (measuredCalls - 1),
        measuredCalls - 1,
      );
    }
    this.#observe(measuredId, perCall);
    if (otherIds !== undefined) for (const id of otherIds) this.#observe(id, perCall);
  }

  /** Sizes function `id`'s hand-ahead window from how long its calls take (see the drawing at the top). */
  #observe(id: number, perCall: number): void {
    let estimate = this.#estimates.get(id);
    if (estimate === undefined) {
      this.#estimates.set(id, (estimate = { ms: perCall, window: 1, slow: false }));
      // Bounded, as the functions a worker keeps: a stream of generated functions would otherwise
      // leave one estimate each. The oldest goes (a Map iterates in insertion order); a function
      // still in use merely starts again at Python's bound of one call ahead.
      if (this.#estimates.size > MAX_ESTIMATES)
        this.#estimates.delete(this.#estimates.keys().next().value!);
    } else estimate.ms = estimate.ms * 0.7 + perCall * 0.3;
    const average = Math.max(estimate.ms, 1e-6);
    estimate.slow = average >= SLOW_CALL_MS;
    const ahead = estimate.slow ? 1 : Math.max(1, Math.floor(HAND_AHEAD_MS / average));
    estimate.window = 1 + Math.min(ahead, MAX_WINDOW - 1);
  }

  // ── Taking back, handing back ────────────────────────────────────────────────────────────

  /** Whether `worker` holds nothing and may be given calls. */
  #isIdle(worker: PoolWorker): boolean {
    return (
      worker.inFlight.length === 0 && worker.life === 'working' && worker.heldAlone === undefined
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
    for (const worker of this.#host.workers) if (this.#isIdle(worker)) anyIdle = true;
    if (!anyIdle) return false;
    const taken: Call[] = [];
    for (const donor of this.#host.workers) {
      if (donor.inFlight.length > 1 && donor.heldAlone === undefined && donor.life !== 'exited')
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
      held.set(index, takenBackStandIn(call));
      setRemoteStart(call.future, undefined);
      call.limited?.unstarted(); // its time begins when it starts elsewhere
      call.worker = undefined;
      donor.returnTasks(1);
      taken.push(call);
    }
    // Taken newest first: onto the head of the queue in that order puts the oldest first.
    for (let i = from; i < taken.length; i++) this.queue.unshift(taken[i]!);
    return taken.length > from;
  }

  /**
   * Processes: `worker` gave back calls `from` .. `from + count - 1`, unstarted (they were behind a
   * call that ran far past its usual time). They stay RUNNING for cancel(): Python's state machine
   * has no way back to pending. They go to the head of the queue, for the first free worker.
   */
  takeHandedBack(worker: PoolWorker, from: number, count: number): void {
    const back: Call[] = [];
    const held = worker.inFlight.drain();
    for (const call of held) {
      if (!call.takenBack && call.seq >= from && call.seq < from + count) {
        if (call.future.done()) continue; // failed already (a broken pool): nothing to run
        call.handedBack = true;
        call.worker = undefined;
        back.push(call);
      } else worker.inFlight.push(call);
    }
    if (worker.life === 'working') worker.returnTasks(back.length);
    for (let i = back.length - 1; i >= 0; i--) this.queue.unshift(back[i]!);
  }
}

/**
 * Distinct functions a worker keeps compiled: past this, the oldest it received (that no call in its
 * hands still needs) are forgotten down to 3/4 of it, so that a stream of generated functions does
 * not grow every worker forever. One that comes back is simply sent again.
 */
const MAX_FUNCTIONS_PER_WORKER = 1024;

/** Functions whose call times the pool keeps, at most. */
const MAX_ESTIMATES = 4096;

/** Ids `worker` may forget (see MAX_FUNCTIONS_PER_WORKER), oldest first, none that a call in its hands or in `batch` needs. */
function forgetOldFunctions(worker: PoolWorker, batch: Call[]): number[] | undefined {
  const needed = new Set<number>();
  for (const call of worker.inFlight) needed.add(call.def.id);
  for (const call of batch) needed.add(call.def.id);
  const forget: number[] = [];
  const keep = (MAX_FUNCTIONS_PER_WORKER * 3) / 4;
  for (const id of worker.defined) {
    if (worker.defined.size - forget.length <= keep) break;
    if (!needed.has(id)) forget.push(id);
  }
  for (const id of forget) worker.defined.delete(id);
  return forget.length > 0 ? forget : undefined;
}

/**
 * A worker skips only a call whose start flag says cancelled, and only the pool cancels: a skip of
 * a call the pool never cancelled means code in the worker wrote to the flags (they are kept out of
 * a call's reach, but a call can reach much). The call did not run; its future must still settle.
 */
function skippedUncancelled(call: Call): Error {
  return new Error(
    `The worker skipped a call of ${defName(call.def)} that was never cancelled: code running in that ` +
      "worker changed the pool's start flags. The call did not run; submit it again, and look for a " +
      'call that writes to shared memory it was not given.',
  );
}
