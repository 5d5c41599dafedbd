// The deadlines of the running calls that have a timeout, on one timer for the whole executor
// (a setTimeout per call cost the EventLoopExecutor most of a trivial call's time).
//
// Two calls with the same timeout end in the order they started, so each timeout value keeps its
// running calls in a FIFO, oldest first, and the one timer waits for the earliest head among the
// FIFOs. A call that settles is only marked; marked entries leave when they reach the head, so a
// head is always a call still running, or, when they outnumber the calls still running behind a
// slow head, all at once (a call stuck for a minute must not keep every call since in memory).
//
// When no call is left the timer stays armed but unref'd, so that it does not keep the process
// alive: calls that run one or two at a time empty the FIFOs between calls, and clearing and
// setting a timer each time would cost as much as the timer per call did. Even ref() and unref()
// cost a call into Node's C++ each, so the timer is unref'd only if the FIFOs are still empty at
// the end of the loop iteration (setImmediate): calls awaited one after another start the next
// before then. A timer that fires with nothing due arms again for the earliest head, if any.
//
//   start ─▶ add(): push on its timeout's FIFO; arm the timer if this deadline is the earliest,
//            else make sure the armed one is ref'd
//   settle ─▶ settled(): mark, drop the marked heads; a FIFO left empty asks for the idle check
//   idle check ─▶ drop the empty FIFOs (timeouts computed per call would pile them up); none
//                 left: unref the timer
//   timer ─▶ expire every head whose deadline has passed (in deadline order, across FIFOs), arm
//            again for the earliest head left
//
// A pool's timer never keeps the process alive (`keepsAlive` false): a worker with a call in its
// hands does already, so the pool skips the ref/unref and the idle check at every call.

import { outsideCalls } from '../current-signal.js';
import { Deque } from '../deque.js';
import { clearTimeout, performance, setImmediate, setTimeout } from '../timers.js';

/** One running call's place in its FIFO: `item` becomes undefined once the call has settled. */
export interface Deadline<T> {
  readonly at: number;
  readonly fifo: Fifo<T>;
  item: T | undefined;
}

/** The running calls of one timeout value, oldest first, and how many of them are only marked. */
class Fifo<T> {
  readonly entries = new Deque<Deadline<T>>();
  marked = 0;

  constructor(readonly timeout: number) {}

  /** Drops the marked entries at the head, so that the head is a call still running. */
  dropSettledHeads(): void {
    const { entries } = this;
    while (entries.length > 0 && entries.peek()!.item === undefined) {
      entries.shift();
      this.marked--;
    }
  }

  /** Keeps only the entries still running, in order. */
  compact(): void {
    const live = this.entries.drain().filter((deadline) => deadline.item !== undefined);
    for (const deadline of live) this.entries.push(deadline);
    this.marked = 0;
  }
}

/** Fewer marked entries than this are never compacted: not worth the copy. */
const COMPACT_FROM = 64;
/** Empty FIFOs kept between calls, at most (see settled()). */
const KEEP_EMPTY_FIFOS = 4;

export class Deadlines<T> {
  readonly #fifos = new Map<number, Fifo<T>>();
  readonly #expire: (item: T) => void;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #timerAt = Infinity;
  #timerRef = false;
  #idleCheckPending = false;
  readonly #keepsAlive: boolean;

  /**
   * `expire` is called once for each item whose deadline passes before it settles. `keepsAlive`:
   * the timer keeps the process alive while an item runs (false: never; something else does).
   */
  constructor(expire: (item: T) => void, keepsAlive = true) {
    this.#expire = expire;
    this.#keepsAlive = keepsAlive;
  }

  /** `item` starts now and must settle within `timeout` ms; pass the result to `settled()`. */
  add(item: T, timeout: number): Deadline<T> {
    let fifo = this.#fifos.get(timeout);
    if (fifo === undefined) {
      fifo = new Fifo(timeout);
      this.#fifos.set(timeout, fifo);
    }
    const deadline: Deadline<T> = { at: performance.now() + timeout, fifo, item };
    fifo.entries.push(deadline);
    if (deadline.at < this.#timerAt) this.#arm(deadline.at);
    else if (!this.#timerRef && this.#keepsAlive) {
      this.#timer!.ref();
      this.#timerRef = true;
    }
    return deadline;
  }

  /** The item settled (or was ended) before its deadline: it no longer counts. */
  settled(deadline: Deadline<T>): void {
    if (deadline.item === undefined) return;
    deadline.item = undefined;
    const { fifo } = deadline;
    fifo.marked++;
    if (fifo.entries.peek() === deadline) {
      fifo.dropSettledHeads();
      if (fifo.entries.length > 0) return;
      // Emptied. A few FIFOs are kept for the next calls (made anew each time two calls in a row
      // empty one, they cost as much as the rest of a call); more go now, or timeouts computed
      // per call would leave one each behind, for as long as the loop does not turn.
      if (this.#fifos.size > KEEP_EMPTY_FIFOS) this.#fifos.delete(fifo.timeout);
      if (!this.#idleCheckPending && this.#keepsAlive) {
        this.#idleCheckPending = true;
        setImmediate(this.#idleCheck);
      }
    } else if (fifo.marked >= COMPACT_FROM && fifo.marked * 2 > fifo.entries.length) {
      fifo.compact(); // amortized: at least half of what is copied was marked
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    const expired: { at: number; item: T }[] = [];
    let fifosExpired = 0;
    let next = Infinity;
    for (const fifo of this.#fifos.values()) {
      const { entries } = fifo;
      const before = expired.length;
      for (let head = entries.peek(); head !== undefined && head.at <= now; head = entries.peek()) {
        entries.shift();
        if (head.item === undefined) fifo.marked--;
        else expired.push({ at: head.at, item: head.item });
        head.item = undefined;
      }
      if (expired.length > before) fifosExpired++;
      fifo.dropSettledHeads();
      const head = entries.peek();
      if (head === undefined) this.#fifos.delete(fifo.timeout);
      else if (head.at < next) next = head.at;
    }
    if (next !== Infinity) this.#arm(next);
    // A timer that fires late (a busy loop) finds several timeouts' calls due: they end in the
    // order of their deadlines, not of their FIFOs, as one timer per call would end them.
    if (fifosExpired > 1) expired.sort((a, b) => a.at - b.at);
    // Last: ending a call runs its future's done callbacks, which may start or settle calls here.
    for (const { item } of expired) this.#expire(item);
  };

  readonly #idleCheck = (): void => {
    this.#idleCheckPending = false;
    let running = false;
    for (const fifo of this.#fifos.values()) {
      if (fifo.entries.length > 0) running = true;
      else this.#fifos.delete(fifo.timeout);
    }
    if (!running && this.#timer !== undefined && this.#timerRef) {
      this.#timer.unref();
      this.#timerRef = false;
    }
  };

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    // setTimeout counts whole milliseconds on the loop's cached clock, so it can fire a little
    // early: the timer then finds the head not yet due and arms again for what is left.
    const delay = Math.max(0, Math.ceil(at - performance.now()));
    // Armed outside the running call's context: a timer keeps the context it was set in (and
    // with it that call's record) for as long as it is re-armed, and runs its callback there.
    this.#timer = outsideCalls(this.#startTimer, delay);
    this.#timerRef = this.#keepsAlive;
    if (!this.#keepsAlive) this.#timer.unref();
  }

  readonly #startTimer = (delay: number): ReturnType<typeof setTimeout> =>
    setTimeout(this.#onTimer, delay);
}
