// One waiter per way of waiting (as CPython's _base.py). A waiter is registered on every future it
// watches and told, in O(1), when each one ends; so waiting on n futures costs O(n) overall, never
// a re-scan of all n at each completion. Whoever installs a waiter removes it when done waiting.

import type { Future, Waiter } from './future.js';

/** Resolves `ready` once the wait's condition holds. */
abstract class OneShotWaiter implements Waiter {
  readonly ready: Promise<void>;
  protected wake!: () => void;

  constructor() {
    this.ready = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  abstract addResult(future: Future<unknown>): void;
  abstract addException(future: Future<unknown>): void;
  abstract addCancelled(future: Future<unknown>): void;
}

/** FIRST_COMPLETED: the first future to end, however it ends. */
export class FirstCompletedWaiter extends OneShotWaiter {
  addResult(): void {
    this.wake();
  }
  addException(): void {
    this.wake();
  }
  addCancelled(): void {
    this.wake();
  }
}

/**
 * ALL_COMPLETED counts down the futures still pending; FIRST_EXCEPTION (`stopOnException`) also
 * wakes at the first future that fails (a cancelled one does not count as failed).
 */
export class AllCompletedWaiter extends OneShotWaiter {
  #pending: number;
  readonly #stopOnException: boolean;

  constructor(pending: number, stopOnException: boolean) {
    super();
    this.#pending = pending;
    this.#stopOnException = stopOnException;
  }

  addResult(): void {
    this.#countDown();
  }
  addException(): void {
    if (this.#stopOnException) this.wake();
    else this.#countDown();
  }
  addCancelled(): void {
    this.#countDown();
  }

  #countDown(): void {
    if (--this.#pending === 0) this.wake();
  }
}

/** asCompleted: collects futures in the order they end; the reader drains them and sleeps again. */
export class AsCompletedWaiter implements Waiter {
  finished: Future<unknown>[] = [];
  #wake: (() => void) | undefined = undefined;

  addResult(future: Future<unknown>): void {
    this.#add(future);
  }
  addException(future: Future<unknown>): void {
    this.#add(future);
  }
  addCancelled(future: Future<unknown>): void {
    this.#add(future);
  }

  /** Resolves when at least one future has ended since the last `take()`. */
  whenAny(): Promise<void> {
    if (this.finished.length > 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Wakes a reader sleeping in whenAny() with nothing new: its iteration was closed. */
  interrupt(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  take(): Future<unknown>[] {
    const taken = this.finished;
    this.finished = [];
    return taken;
  }

  #add(future: Future<unknown>): void {
    this.finished.push(future);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
