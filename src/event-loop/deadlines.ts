// The deadlines of the running calls that have a timeout, on one timer for the whole executor
// (a setTimeout per call cost the EventLoopExecutor most of a trivial call's time).
//
// Two calls with the same timeout end in the order they started, so each timeout value keeps its
// running calls in a FIFO, oldest first, and the one timer waits for the earliest head among the
// FIFOs. A call that settles is only marked; marked entries leave when they reach the head, so a
// head is always a call still running.
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
//   idle check ─▶ every FIFO still empty: unref the timer
//   timer ─▶ expire every head whose deadline has passed, arm again for the earliest head left

import { Deque } from '../deque.js';

/** One running call's place in its FIFO: `item` becomes undefined once the call has settled. */
export interface Deadline<T> {
  readonly at: number;
  readonly timeout: number;
  item: T | undefined;
}

export class Deadlines<T> {
  readonly #fifos = new Map<number, Deque<Deadline<T>>>();
  readonly #expire: (item: T) => void;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #timerAt = Infinity;
  #timerRef = false;
  #idleCheckPending = false;

  /** `expire` is called once for each item whose deadline passes before it settles. */
  constructor(expire: (item: T) => void) {
    this.#expire = expire;
  }

  /** `item` starts now and must settle within `timeout` ms; pass the result to `settled()`. */
  add(item: T, timeout: number): Deadline<T> {
    const deadline: Deadline<T> = { at: performance.now() + timeout, timeout, item };
    let fifo = this.#fifos.get(timeout);
    if (fifo === undefined) {
      fifo = new Deque();
      this.#fifos.set(timeout, fifo);
    }
    fifo.push(deadline);
    if (deadline.at < this.#timerAt) this.#arm(deadline.at);
    else if (!this.#timerRef) {
      this.#timer!.ref();
      this.#timerRef = true;
    }
    return deadline;
  }

  /** The item settled (or was ended) before its deadline: it no longer counts. */
  settled(deadline: Deadline<T>): void {
    if (deadline.item === undefined) return;
    deadline.item = undefined;
    const fifo = this.#fifos.get(deadline.timeout)!;
    if (fifo.peek() !== deadline) return; // not the head: it leaves when it gets there
    dropSettledHeads(fifo);
    if (fifo.length === 0 && !this.#idleCheckPending) {
      this.#idleCheckPending = true;
      setImmediate(this.#idleCheck);
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    const expired: T[] = [];
    let next = Infinity;
    for (const [timeout, fifo] of this.#fifos) {
      for (let head = fifo.peek(); head !== undefined && head.at <= now; head = fifo.peek()) {
        fifo.shift();
        if (head.item !== undefined) expired.push(head.item);
        head.item = undefined;
      }
      dropSettledHeads(fifo);
      const head = fifo.peek();
      // An empty FIFO is kept for the next calls until the timer fires: made anew each time two
      // calls in a row emptied it, it cost more than it holds. Timeouts computed per call leave
      // no more FIFOs than calls started between two firings.
      if (head === undefined) this.#fifos.delete(timeout);
      else if (head.at < next) next = head.at;
    }
    if (next !== Infinity) this.#arm(next);
    // Last: ending a call runs its future's done callbacks, which may start or settle calls here.
    for (const item of expired) this.#expire(item);
  };

  readonly #idleCheck = (): void => {
    this.#idleCheckPending = false;
    if (this.#timer === undefined || !this.#timerRef) return;
    for (const fifo of this.#fifos.values()) if (fifo.length > 0) return;
    this.#timer.unref();
    this.#timerRef = false;
  };

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    // setTimeout counts whole milliseconds on the loop's cached clock, so it can fire a little
    // early: the timer then finds the head not yet due and arms again for what is left.
    this.#timer = setTimeout(this.#onTimer, Math.max(0, Math.ceil(at - performance.now())));
    this.#timerRef = true;
  }
}

function dropSettledHeads<T>(fifo: Deque<Deadline<T>>): void {
  while (fifo.length > 0 && fifo.peek()!.item === undefined) fifo.shift();
}
