// Executor.map(): submission at call time, results in input order, several iterables zipped,
// `timeout` counted from the call, chunks, and `buffersize` (a bounded window of submitted calls
// whose results have not been yielded yet, so unbounded and async inputs work).

import { TimeoutError } from './errors.js';
import type { Future } from './future.js';

/**
 * How a chunk's future fails when one of its items throws: the results of the items before it
 * (yielded first), then the error. Internal: executors that run chunks reject with it.
 */
export class ChunkFailure {
  constructor(
    readonly results: unknown[],
    readonly error: unknown,
  ) {}
}

/** Submits one unit of work: a single call (`chunked` false) or a chunk of calls. */
export type SubmitUnit = (argLists: unknown[][]) => { future: Future<any>; chunked: boolean };

interface Unit {
  future: Future<any>;
  chunked: boolean;
}

type Pull = () => unknown[] | undefined | Promise<unknown[] | undefined>;

export interface MapPlan {
  iterables: unknown[];
  chunksize: number;
  buffersize: number | undefined;
  timeout: number | undefined;
  submitUnit: SubmitUnit;
}

export class MapRun<R> {
  readonly #submitUnit: SubmitUnit;
  readonly #chunksize: number;
  readonly #window: number; // units in flight at most (Infinity without buffersize)
  readonly #deadline: number | undefined;
  readonly #iterators: Array<Iterator<unknown> | AsyncIterator<unknown>>;
  readonly #pull: Pull;
  readonly #units: Unit[] = [];
  #unitsHead = 0;
  #exhausted = false;
  #sourceError: { error: unknown } | undefined = undefined;
  #filling: Promise<void> | undefined = undefined;
  #ended = false;

  constructor(plan: MapPlan) {
    this.#submitUnit = plan.submitUnit;
    this.#chunksize = plan.chunksize;
    this.#window = plan.buffersize ?? Infinity;
    // Infinity means no deadline: a deadline of Infinity would reach setTimeout(Infinity), which
    // Node runs after 1 ms.
    this.#deadline = plan.timeout === undefined || plan.timeout === Infinity ? undefined : performance.now() + plan.timeout;
    let anyAsync = false;
    this.#iterators = plan.iterables.map((iterable) => {
      const sync = (iterable as Iterable<unknown>)[Symbol.iterator];
      if (typeof sync === 'function') return sync.call(iterable);
      anyAsync = true;
      return (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    });
    this.#pull = anyAsync ? () => this.#pullAsync() : () => this.#pullSync();
    // Zipping no iterables gives nothing (as Python's zip()); without this, every pull would give
    // an empty argument list and #fill would submit fn() forever.
    if (this.#iterators.length === 0) this.#exhausted = true;
    // Submission happens now, at map(), as in Python. A sync source that throws, or a submit that
    // throws (executor shut down or broken), throws from map() itself when nothing is buffered.
    this.#fill(true);
  }

  /** The iterator handed to the user. */
  iterate(): AsyncIterableIterator<R> {
    const results = this.#results();
    // return() or throw() on an async generator that has not started completes it without running
    // its `finally`, so ending the iteration before the first next() would leave the calls
    // submitted at map() running. End the run here too (#end is idempotent).
    const generatorReturn = results.return.bind(results);
    const generatorThrow = results.throw.bind(results);
    results.return = (value) => {
      this.#end();
      return generatorReturn(value);
    };
    results.throw = (error) => {
      this.#end();
      return generatorThrow(error);
    };
    return results as AsyncIterableIterator<R>;
  }

  async *#results(): AsyncGenerator<unknown> {
    try {
      for (;;) {
        const unit = await this.#nextUnit();
        if (unit === undefined) return;
        const { future, chunked } = unit;
        // As Python's buffered map: the next call goes in before this result is waited for.
        this.#fill(false);
        let value: unknown;
        try {
          value = await this.#resultOf(future);
        } catch (error) {
          if (!(error instanceof ChunkFailure)) throw error;
          yield* error.results;
          throw error.error;
        }
        if (chunked) yield* value as unknown[];
        else yield value;
      }
    } finally {
      this.#end();
    }
  }

  async #nextUnit(): Promise<Unit | undefined> {
    for (;;) {
      if (this.#unitsHead < this.#units.length) {
        const unit = this.#units[this.#unitsHead]!;
        this.#units[this.#unitsHead++] = undefined as unknown as Unit; // let it be collected
        if (this.#unitsHead > 1024 && this.#unitsHead * 2 > this.#units.length) {
          this.#units.splice(0, this.#unitsHead);
          this.#unitsHead = 0;
        }
        return unit;
      }
      if (this.#filling !== undefined) {
        await this.#raceDeadline(this.#filling);
        continue;
      }
      if (this.#sourceError !== undefined) throw this.#sourceError.error;
      return undefined;
    }
  }

  #resultOf(future: Future<any>): Promise<unknown> {
    if (this.#deadline === undefined) return future.result();
    return future.result(Math.max(0, this.#deadline - performance.now())).catch((error: unknown) => {
      if (error instanceof TimeoutError) throw this.#timeoutError();
      throw error;
    });
  }

  async #raceDeadline(promise: Promise<void>): Promise<void> {
    if (this.#deadline === undefined) return promise;
    const remaining = this.#deadline - performance.now();
    if (remaining <= 0) throw this.#timeoutError();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#timeoutError()), remaining);
    });
    try {
      await Promise.race([promise, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  #timeoutError(): TimeoutError {
    return new TimeoutError(`map(): the results were not all ready within the timeout.`);
  }

  get #inFlight(): number {
    return this.#units.length - this.#unitsHead;
  }

  /** Submits units until the window is full or the source runs dry; async sources go on in the background. */
  #fill(atMapCall: boolean): void {
    if (this.#filling !== undefined || this.#ended) return;
    while (!this.#exhausted && this.#inFlight < this.#window) {
      let pulled: ReturnType<Pull>;
      try {
        pulled = this.#pull();
      } catch (error) {
        if (atMapCall && this.#inFlight === 0) throw error;
        this.#stopSource({ error });
        return;
      }
      if (pulled instanceof Promise) {
        this.#filling = this.#continueAsync(pulled);
        return;
      }
      if (!this.#submit(pulled, atMapCall)) return;
    }
  }

  async #continueAsync(pulled: Promise<unknown[] | undefined>): Promise<void> {
    try {
      for (;;) {
        let argLists: unknown[][] | undefined;
        try {
          argLists = (await pulled) as unknown[][] | undefined;
        } catch (error) {
          this.#stopSource({ error });
          return;
        }
        if (this.#ended || !this.#submit(argLists, false)) return;
        if (this.#exhausted || this.#inFlight >= this.#window) return;
        pulled = this.#pull() as Promise<unknown[] | undefined>;
      }
    } finally {
      this.#filling = undefined;
    }
  }

  /** Submits one unit; false when the source ran dry or submitting failed. */
  #submit(argLists: unknown[] | undefined, atMapCall: boolean): boolean {
    if (argLists === undefined || argLists.length === 0) {
      this.#exhausted = true;
      return false;
    }
    try {
      this.#units.push(this.#submitUnit(argLists as unknown[][]));
      return true;
    } catch (error) {
      if (atMapCall && this.#inFlight === 0) throw error;
      this.#stopSource({ error });
      return false;
    }
  }

  #stopSource(failure: { error: unknown } | undefined): void {
    this.#exhausted = true;
    if (failure !== undefined && this.#sourceError === undefined) this.#sourceError = failure;
    for (const iterator of this.#iterators) {
      try {
        void iterator.return?.();
      } catch {
        // The source is being abandoned; its own cleanup errors are not the map's to report.
      }
    }
  }

  /** Pulls up to `chunksize` zipped argument lists from sync iterators; undefined once one runs dry. */
  #pullSync(): unknown[][] | undefined {
    const argLists: unknown[][] = [];
    while (argLists.length < this.#chunksize) {
      const args: unknown[] = new Array(this.#iterators.length);
      for (let i = 0; i < this.#iterators.length; i++) {
        const step = (this.#iterators[i] as Iterator<unknown>).next();
        if (step.done) {
          this.#exhausted = true;
          return argLists.length > 0 ? argLists : undefined;
        }
        args[i] = step.value;
      }
      argLists.push(args);
    }
    return argLists;
  }

  async #pullAsync(): Promise<unknown[][] | undefined> {
    const argLists: unknown[][] = [];
    while (argLists.length < this.#chunksize) {
      const args: unknown[] = new Array(this.#iterators.length);
      for (let i = 0; i < this.#iterators.length; i++) {
        const step = await this.#iterators[i]!.next();
        if (step.done) {
          this.#exhausted = true;
          return argLists.length > 0 ? argLists : undefined;
        }
        args[i] = step.value;
      }
      argLists.push(args);
    }
    return argLists;
  }

  /** Any end but running out: cancel every call not started, stop reading the source. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (let i = this.#unitsHead; i < this.#units.length; i++) this.#units[i]!.future.cancel();
    this.#units.length = 0;
    this.#unitsHead = 0;
    if (!this.#exhausted) this.#stopSource(undefined);
  }
}
