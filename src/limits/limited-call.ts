// Limited calls, once for every executor. A limited call is a call with a time limit (`timeout`,
// counted from its start) or a `signal`, or both: schedule()'s options, or map()'s callTimeout and
// signal. One LimitedCall per such call owns what limits it (its future, its deadline on the
// executor's one timer, its place in the executor's signal watch) and knows how to end itself.
// What ending a running call means beyond failing its future is each executor's own, behind a
// small adapter (LimitAdapter): a pool aborts the call in its worker and ends the worker if the call
// does not stop within endGraceMs; the event loop aborts the call's currentSignal() and lends its
// slot; a queue ends the call's job.
//
//   submit ──▶ limiter.limit(): watch its signal (aborted already: ended at once)
//   start  ──▶ started(): its deadline counts from now, on the executor's one timer (Deadlines)
//   end(reason): its deadline passed (TimeoutError), its signal aborted, or its map ended
//     ├─ not started: cancel() wins (a thread's start flag decides it exactly); it never runs
//     └─ running: adapter.stopRunning(call, reason) ─▶ its future fails at once with `reason`
//        (stopped first, so that the future's done callbacks read the executor's counts right)
//   its future ends, whichever way ─▶ it leaves the timer and the signal watch
//
// Its executor finds it one way only: the executor's own record of the call holds it (a pool's
// Call, the event loop's PendingCall, a queue's QueueCall), and map keeps the LimitedCall that
// submitting gave it. A future never points back to its call.

import { TimeoutError } from '../errors.js';
import { addWaiter, type Future, type Waiter } from '../future.js';
import { Deadlines, type Deadline } from './deadlines.js';
import { SignalWatch } from './signal-watch.js';
import { performance } from '../timers.js';

/** What limits one call: undefined fields are no limit. */
export interface CallLimits {
  /** Milliseconds the call may run, counted from its start. */
  timeout: number | undefined;
  /** The call's own signal, which the executor watches (map watches its own signal itself). */
  signal: AbortSignal | undefined;
}

/** What an executor does with its limited calls beyond what LimitedCall does itself. */
export interface LimitAdapter<R> {
  /** The called function's name as a TimeoutError's message shows it (e.g. `"fetchPage"`). */
  nameOf(record: R): string;
  /**
   * Whether the call has started: its deadline counts only from then. Asked when its deadline
   * passes, since a pool arms a deadline when it sends the call, and a thread may claim it later.
   */
  hasStarted(record: R): boolean;
  /**
   * Whether the call has run to its end, its result on its way (a thread's results travel in
   * batches): nothing is left to end, and its result must not be turned into a timeout.
   */
  hasFinished?(record: R): boolean;
  /** The call is running, and its future fails with `reason` right after this: stop it. */
  stopRunning(record: R, reason: unknown): void;
}

/** The limited calls of one executor: the one timer of their deadlines, and their signals. */
export class Limiter<R> {
  readonly adapter: LimitAdapter<R>;
  /** The running limited calls' deadlines, on one timer for the whole executor. */
  readonly deadlines: Deadlines<LimitedCall<R>>;
  /** One listener per signal, however many calls share it. */
  readonly signals = new SignalWatch<LimitedCall<R>>((call, reason) => call.end(reason));

  /**
   * `timerKeepsAlive`: whether the deadlines' timer must keep the process alive while a limited
   * call runs (the event loop: nothing else does); a pool's worker with calls keeps it alive already.
   */
  constructor(adapter: LimitAdapter<R>, timerKeepsAlive = true) {
    this.adapter = adapter;
    this.deadlines = new Deadlines<LimitedCall<R>>(
      (call) => call.deadlinePassed(),
      timerKeepsAlive,
    );
  }

  /** Limits the call behind `future` (the executor's `record` of it): watches its signal from now. */
  limit(future: Future<any>, limits: CallLimits, record: R): LimitedCall<R> {
    return new LimitedCall(this, future, limits, record);
  }
}

export class LimitedCall<R = unknown> implements Waiter {
  readonly future: Future<any>;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** The executor's own record of the call (a pool's Call, the event loop's PendingCall, …). */
  readonly record: R;
  readonly #limiter: Limiter<R>;
  /** Its place on the executor's one timer, from its start until its future ends. */
  #deadline: Deadline<LimitedCall<R>> | undefined = undefined;
  #over = false;

  constructor(limiter: Limiter<R>, future: Future<any>, limits: CallLimits, record: R) {
    this.#limiter = limiter;
    this.future = future;
    this.timeout = limits.timeout;
    this.signal = limits.signal;
    this.record = record;
    // Told when its future ends, whoever ends it (a result, a broken pool, a shutdown): a waiter,
    // not a done callback, which would cost a closure and an array per call and run after the
    // user's callbacks; a future holds one waiter bare.
    addWaiter(future, this);
    if (this.signal !== undefined) limiter.signals.watch(this.signal, this);
  }

  /** The call starts now: its deadline, if any, counts from here. Once only. */
  started(): void {
    if (this.timeout === undefined || this.#over || this.#deadline !== undefined) return;
    this.#deadline = this.#limiter.deadlines.add(this, this.timeout);
  }

  /**
   * The call goes back to its executor's queue unstarted (a pool took it back from a worker that
   * had not started it): a deadline armed when it was sent no longer counts; its start arms anew.
   */
  unstarted(): void {
    if (this.#deadline === undefined) return;
    this.#limiter.deadlines.settled(this.#deadline);
    this.#deadline = undefined;
  }

  /**
   * Ends the call with `reason`: one not started is cancelled (it never runs); a running one fails
   * at once, and its executor stops it (see LimitAdapter.stopRunning). Nothing if it is done, or
   * has run to its end with its result on the way.
   */
  end(reason: unknown): void {
    const future = this.future;
    if (future.done() || future.cancel()) return;
    if (this.#limiter.adapter.hasFinished?.(this.record) === true) return; // its result comes
    // Stopped (and counted over) before the future fails: its done callbacks may read stats().
    this.#limiter.adapter.stopRunning(this.record, reason);
    if (!future.done()) future.setException(reason); // it leaves the timer and the signal watch (addException)
  }

  /**
   * Whether its deadline has passed while its timer could not fire: a call on the event loop that
   * held the loop past it (a sync part that ran long) must not be delivered as a success.
   */
  overdue(): boolean {
    const deadline = this.#deadline;
    return deadline !== undefined && performance.now() >= deadline.at;
  }

  /** For Deadlines: its deadline has passed. */
  deadlinePassed(): void {
    this.#deadline = undefined;
    if (this.#over) return;
    const adapter = this.#limiter.adapter;
    // Armed when a pool sent it, a very short deadline can pass before a thread claims the call:
    // it has not started, so its time has not begun (and cancel() must not turn it into a
    // CancelledError). It counts again from now.
    if (!adapter.hasStarted(this.record)) {
      this.#deadline = this.#limiter.deadlines.add(this, this.timeout!);
      return;
    }
    this.#timeOut();
  }

  /**
   * Its deadline passed while its timer could not fire (a call on the event loop held the loop
   * past it): it ends now, as the timer would have ended it; its entry leaves the timer's list.
   */
  endOverdue(): void {
    if (this.#deadline !== undefined) {
      this.#limiter.deadlines.settled(this.#deadline);
      this.#deadline = undefined;
    }
    this.#timeOut();
  }

  #timeOut(): void {
    this.end(
      new TimeoutError(
        `${this.#limiter.adapter.nameOf(this.record)} ran past its timeout of ${this.timeout} ms and was ended.`,
      ),
    );
  }

  // Waiter: its future ended, whichever way.
  addResult(): void {
    this.#leave();
  }
  addException(): void {
    this.#leave();
  }
  addCancelled(): void {
    this.#leave();
  }

  /** Leaves the timer and the signal watch: a future kept long after holds nothing of them. */
  #leave(): void {
    if (this.#over) return;
    this.#over = true;
    if (this.#deadline !== undefined) {
      this.#limiter.deadlines.settled(this.#deadline);
      this.#deadline = undefined;
    }
    if (this.signal !== undefined) this.#limiter.signals.unwatch(this.signal, this);
  }
}
