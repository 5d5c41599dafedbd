// The calls submitted and not yet taken by a p-queue job, first in first out.

import type { Callable } from '../callable.js';
import type { SignalSource } from '../current-signal.js';
import type { Future } from '../future.js';
import type { LimitedCall } from '../limits/limited-call.js';

/** One submitted call; for a limited call, also where its currentSignal() comes from. */
export class PendingCall implements SignalSource {
  /** Limited calls only: made when the call first asks for its signal, or when it is ended. */
  controller: AbortController | undefined = undefined;
  /** Limited calls only: 'awaiting' once it returned a promise, 'abandoned' once ended while awaiting. */
  phase: 'queued-or-sync' | 'awaiting' | 'abandoned' = 'queued-or-sync';
  /** Limited calls only (see src/limits/). */
  limited: LimitedCall<PendingCall> | undefined = undefined;
  /** A sampled call only (see EventLoopExecutor's stats): when it was submitted; 0 otherwise. */
  queuedAt = 0;

  constructor(
    readonly future: Future<any>,
    readonly fn: Callable,
    readonly args: unknown[],
  ) {}

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }
}

export class CallQueue {
  #items: Array<PendingCall | undefined> = [];
  // An index instead of shift(): shifting a long array at every call would cost O(n) each.
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(call: PendingCall): void {
    this.#items.push(call);
  }

  shift(): PendingCall | undefined {
    if (this.#head === this.#items.length) return undefined;
    const call = this.#items[this.#head];
    this.#items[this.#head++] = undefined; // let the call be collected once it is done
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return call;
  }

  /** The calls waiting, in order (for stats()). */
  *[Symbol.iterator](): IterableIterator<PendingCall> {
    for (let index = this.#head; index < this.#items.length; index++) yield this.#items[index]!;
  }

  /** Empties the queue and returns what it held, in order. */
  takeAll(): PendingCall[] {
    const calls = this.#items.slice(this.#head) as PendingCall[];
    this.#items = [];
    this.#head = 0;
    return calls;
  }
}
