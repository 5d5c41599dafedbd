// Executor.map(): submission at call time, results in input order, several iterables zipped,
// `timeout` counted from the call, chunks, `buffersize` (a bounded window of submitted units whose
// results have not all been yielded, so unbounded and async inputs work), and `signal`.
//
// Hot path notes: items travel as ONE flat argument array per chunk ([a0, b0, a1, b1, …] for two
// iterables), not an array per item, because a million small arrays cost more to build and to
// clone than the calls themselves. The iterator is written by hand rather than as an async
// generator: a result already at hand is returned without the generator's queue and extra turns.

import { CancelledError, TimeoutError } from './errors.js';
import { isWaitTimeout, type Future } from './future.js';
import { LimitedCall } from './limits/limited-call.js';
import { SignalWatch, reasonOf } from './limits/signal-watch.js';

/**
 * The maps' signals, one 'abort' listener per signal however many maps share it (as for limited
 * calls: past 10 listeners Node warns of a leak). A map is watched by its abort function.
 */
const mapSignals = new SignalWatch<(reason: unknown) => void>((abort, reason) => abort(reason));

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

export interface MapPlan {
  iterables: unknown[];
  /** Items per unit; 1 means every item is a call of its own. */
  chunksize: number;
  buffersize: number | undefined;
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  /**
   * Submits one call with the given arguments: its future, or for a limited call (a map with a
   * callTimeout or a signal) what ends it (see src/limits/).
   */
  submitOne: (args: unknown[]) => Future<any> | LimitedCall<any>;
  /** Submits a chunk: `flatArgs` holds `flatArgs.length / arity` argument lists back to back. */
  submitChunk: (arity: number, flatArgs: unknown[]) => Future<unknown[]> | LimitedCall<any>;
}

interface Unit {
  future: Future<any>;
  /** A limited call's: what ends it when the map's signal aborts. */
  limited: LimitedCall<any> | undefined;
  chunked: boolean;
}

type Pulled = unknown[] | undefined;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class MapRun<R> implements AsyncIterableIterator<R> {
  readonly #plan: MapPlan;
  readonly #arity: number;
  readonly #window: number; // units in flight at most (Infinity without buffersize)
  readonly #deadline: number | undefined;
  readonly #iterators: Array<Iterator<unknown> | AsyncIterator<unknown>>;
  readonly #arrays: unknown[][] | undefined; // every iterable an array: read by index, no iterator protocol
  #arrayIndex = 0;
  readonly #anyAsync: boolean;
  #units: Unit[] = [];
  #unitsHead = 0;
  #exhausted = false;
  #sourceError: { error: unknown } | undefined = undefined;
  #filling: Promise<void> | undefined = undefined;
  #ended = false;
  /** The unit whose result a step is awaiting: off #units, but not done with. */
  #current: Unit | undefined = undefined;
  #aborted: { reason: unknown } | undefined = undefined;
  #onAbort: ((reason: unknown) => void) | undefined = undefined;
  /** Units not yet settled, counted only while #onAbort listens. */
  #unsettled = 0;
  /** Every call settled and the source ran out: the signal is read at each step instead of listened to. */
  #signalReleased = false;
  #progress: Promise<void> | undefined = undefined; // what a step waiting on an async source awaits (see #untilProgress)
  #onProgress: (() => void) | undefined = undefined;
  // Results at hand (a chunk's values), yielded before the next unit is awaited.
  #buffer: unknown[] = [];
  #bufferIndex = 0;
  #afterBuffer: { error: unknown } | undefined = undefined; // a chunk's error, thrown once its earlier items are out
  #stepping = 0; // next() calls not yet answered: while any is, a new one waits its turn
  #tail: Promise<unknown> = Promise.resolve();

  constructor(plan: MapPlan) {
    this.#plan = plan;
    this.#arity = plan.iterables.length;
    this.#window = plan.buffersize ?? Infinity;
    // Infinity means no deadline: a deadline of Infinity would reach setTimeout(Infinity), which
    // Node runs after 1 ms.
    this.#deadline =
      plan.timeout === undefined || plan.timeout === Infinity
        ? undefined
        : performance.now() + plan.timeout;
    this.#arrays = plan.iterables.every(isPlainArray) ? (plan.iterables as unknown[][]) : undefined;
    let anyAsync = false;
    this.#iterators =
      this.#arrays !== undefined
        ? []
        : plan.iterables.map((iterable) => {
            const sync = (iterable as Iterable<unknown>)[Symbol.iterator];
            if (typeof sync === 'function') return sync.call(iterable);
            anyAsync = true;
            return (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
          });
    this.#anyAsync = anyAsync;
    // Zipping no iterables gives nothing (as Python's zip()); without this, every pull would give
    // an empty argument list and #fill would submit fn() forever.
    if (this.#arity === 0) this.#exhausted = true;
    const signal = plan.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        // Already aborted: submit nothing; the first step throws the reason.
        this.#aborted = { reason: reasonOf(signal) };
        this.#ended = true;
        return;
      }
      this.#onAbort = (reason) => this.#abort(reason);
      mapSignals.watch(signal, this.#onAbort);
    }
    // Submission happens now, at map(), as in Python. A sync source that throws, or a submit that
    // throws (executor shut down or broken), throws from map() itself when nothing is buffered.
    try {
      this.#fill(true);
    } catch (error) {
      this.#end(); // nothing will iterate this run: let go of the signal and the source
      throw error;
    }
    this.#maybeReleaseSignal();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<R>> {
    if (this.#signalReleased && !this.#ended && this.#plan.signal!.aborted)
      this.#abort(reasonOf(this.#plan.signal!));
    if (this.#stepping === 0 && this.#bufferIndex < this.#buffer.length) {
      return Promise.resolve({ done: false, value: this.#buffer[this.#bufferIndex++] as R });
    }
    this.#stepping++;
    const step = this.#tail.then(() => this.#step()) as Promise<IteratorResult<R>>;
    this.#tail = step.then(
      () => this.#stepping--,
      () => this.#stepping--,
    );
    return step;
  }

  /** `break`, `return()`: cancels every call not started. */
  return(): Promise<IteratorResult<R>> {
    this.#end();
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<R>> {
    this.#end();
    return Promise.reject(error);
  }

  async #step(): Promise<IteratorResult<unknown>> {
    for (;;) {
      if (this.#aborted !== undefined) {
        const { reason } = this.#aborted;
        this.#aborted = undefined;
        this.#end();
        throw reason;
      }
      if (this.#bufferIndex < this.#buffer.length)
        return { done: false, value: this.#buffer[this.#bufferIndex++] };
      if (this.#afterBuffer !== undefined) {
        const { error } = this.#afterBuffer;
        this.#afterBuffer = undefined;
        this.#end();
        throw error;
      }
      if (this.#ended) return DONE;
      let unit: Unit | undefined;
      let value: unknown;
      try {
        unit = await this.#nextUnit();
        if (unit === undefined) {
          if (this.#aborted !== undefined) continue; // woken by the signal: throw its reason
          this.#end();
          return DONE;
        }
        // As Python's buffered map: the next unit goes in before this one's result is awaited.
        // Taken first: a source that aborts the map's signal while it is read ends this unit too.
        this.#current = unit;
        this.#fill(false);
        value = await this.#resultOf(unit.future);
        this.#current = undefined;
      } catch (error) {
        this.#current = undefined;
        if (this.#aborted !== undefined) continue; // the signal's reason, not the cancellation it caused
        // return() (even from inside the source, as it was read) cancelled the unit awaited here.
        if (this.#ended && error instanceof CancelledError) return DONE;
        if (error instanceof ChunkFailure) {
          this.#setBuffer(error.results);
          this.#afterBuffer = { error: error.error };
          continue;
        }
        this.#end();
        throw error;
      }
      if (!unit.chunked) return { done: false, value };
      this.#setBuffer(value as unknown[]);
    }
  }

  #setBuffer(values: unknown[]): void {
    this.#buffer = values;
    this.#bufferIndex = 0;
  }

  async #nextUnit(): Promise<Unit | undefined> {
    for (;;) {
      if (this.#unitsHead < this.#units.length) {
        const unit = this.#units[this.#unitsHead]!;
        this.#units[this.#unitsHead++] = undefined as unknown as Unit; // let it be collected
        if (this.#unitsHead > 1024 && this.#unitsHead * 2 > this.#units.length) {
          this.#units = this.#units.slice(this.#unitsHead);
          this.#unitsHead = 0;
        }
        return unit;
      }
      if (this.#filling !== undefined && !this.#ended) {
        await this.#raceDeadline(this.#untilProgress(this.#filling));
        continue;
      }
      if (this.#sourceError !== undefined) throw this.#sourceError.error;
      return undefined;
    }
  }

  /**
   * A step waiting on an async source wakes as soon as anything changes: a unit was submitted (its
   * result need not wait for the rest of the source), the filling ended, or the signal aborted (the
   * step throws the reason at once instead of hanging until the source yields).
   */
  #untilProgress(filling: Promise<void>): Promise<void> {
    this.#progress ??= new Promise<void>((resolve) => (this.#onProgress = resolve));
    return Promise.race([filling, this.#progress]);
  }

  #notifyProgress(): void {
    const wake = this.#onProgress;
    if (wake === undefined) return;
    this.#progress = this.#onProgress = undefined;
    wake();
  }

  #resultOf(future: Future<any>): Promise<unknown> {
    if (this.#deadline === undefined) return future.result();
    return future
      .result(Math.max(0, this.#deadline - performance.now()))
      .catch((error: unknown) => {
        // The wait ran out, not the call's own TimeoutError (a callTimeout, or one it threw): that
        // one is the call's result, and passes as it is.
        if (isWaitTimeout(error)) throw this.#timeoutError();
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
      if (this.#anyAsync) {
        this.#filling = this.#fillAsync();
        return;
      }
      let pulled: Pulled;
      try {
        pulled = this.#arrays !== undefined ? this.#pullArrays() : this.#pullSync();
      } catch (error) {
        if (atMapCall && this.#inFlight === 0) throw error;
        this.#stopSource({ error });
        return;
      }
      // Reading the source ran user code, which may have ended the map (aborted its signal).
      if (this.#ended || !this.#submit(pulled, atMapCall)) return;
    }
  }

  async #fillAsync(): Promise<void> {
    try {
      while (!this.#exhausted && !this.#ended && this.#inFlight < this.#window) {
        let pulled: Pulled;
        try {
          pulled = await this.#pullAsync();
        } catch (error) {
          this.#stopSource({ error });
          return;
        }
        if (this.#ended || !this.#submit(pulled, false)) return;
      }
    } finally {
      this.#filling = undefined;
    }
  }

  /** Submits one unit; false when the source ran dry or submitting failed. */
  #submit(flatArgs: Pulled, atMapCall: boolean): boolean {
    if (flatArgs === undefined || flatArgs.length === 0) {
      this.#exhausted = true;
      this.#maybeReleaseSignal();
      return false;
    }
    try {
      const chunked = this.#plan.chunksize > 1;
      const submitted = chunked
        ? this.#plan.submitChunk(this.#arity, flatArgs)
        : this.#plan.submitOne(flatArgs);
      const unit: Unit =
        submitted instanceof LimitedCall
          ? { future: submitted.future, limited: submitted, chunked }
          : { future: submitted, limited: undefined, chunked };
      this.#units.push(unit);
      if (this.#onAbort !== undefined) {
        this.#unsettled++;
        unit.future.addDoneCallback(this.#unitSettled);
      }
      this.#notifyProgress();
      return true;
    } catch (error) {
      if (atMapCall && this.#inFlight === 0) throw error;
      this.#stopSource({ error });
      return false;
    }
  }

  readonly #unitSettled = (): void => {
    this.#unsettled--;
    this.#maybeReleaseSignal();
  };

  /**
   * A map whose calls have all settled has nothing left for its signal to cancel or end: its
   * listener goes, so that a map never iterated to its end (or never iterated) does not stay
   * reachable from a long-lived signal with every result it holds. A later abort is still seen,
   * by the next step.
   */
  #maybeReleaseSignal(): void {
    if (this.#onAbort === undefined || this.#ended || this.#unsettled > 0 || !this.#exhausted)
      return;
    mapSignals.unwatch(this.#plan.signal!, this.#onAbort);
    this.#onAbort = undefined;
    this.#signalReleased = true;
  }

  #stopSource(failure: { error: unknown } | undefined): void {
    this.#exhausted = true;
    if (failure !== undefined && this.#sourceError === undefined) this.#sourceError = failure;
    // Closed only when the map stops early (an end, an error), as for...of closes a loop's
    // iterator. Zipping that stops at the shortest iterable leaves the longer ones open, as
    // Python's zip() does: one generator fed to several maps in turn goes on where the last stopped.
    for (const iterator of this.#iterators) {
      try {
        const closing: unknown = iterator.return?.();
        // An async source's return() may reject: that is the source's cleanup, not the map's to report.
        if (closing instanceof Promise) closing.catch(() => undefined);
      } catch {
        // The source is being abandoned; its own cleanup errors are not the map's to report.
      }
    }
    this.#maybeReleaseSignal();
  }

  /** Up to `chunksize` items, zipped and flattened, from arrays: undefined once one runs out. */
  #pullArrays(): Pulled {
    const arrays = this.#arrays!;
    let end = this.#arrayIndex + this.#plan.chunksize;
    for (const array of arrays) if (array.length < end) end = array.length;
    const start = this.#arrayIndex;
    if (end <= start) return undefined;
    this.#arrayIndex = end;
    if (this.#arity === 1) return arrays[0]!.slice(start, end);
    const flat: unknown[] = new Array((end - start) * this.#arity);
    let k = 0;
    for (let i = start; i < end; i++) for (const array of arrays) flat[k++] = array[i];
    return flat;
  }

  #pullSync(): Pulled {
    const flat: unknown[] = [];
    const iterators = this.#iterators as Iterator<unknown>[];
    for (let item = 0; item < this.#plan.chunksize; item++) {
      const before = flat.length;
      for (const iterator of iterators) {
        const step = iteratorResult(iterator.next());
        if (step.done) {
          this.#exhausted = true;
          flat.length = before;
          return flat.length > 0 ? flat : undefined;
        }
        flat.push(step.value);
      }
    }
    return flat;
  }

  async #pullAsync(): Promise<Pulled> {
    const flat: unknown[] = [];
    for (let item = 0; item < this.#plan.chunksize; item++) {
      const before = flat.length;
      for (const iterator of this.#iterators) {
        const step = iteratorResult(await iterator.next());
        if (step.done) {
          this.#exhausted = true;
          flat.length = before;
          return flat.length > 0 ? flat : undefined;
        }
        flat.push(step.value);
      }
    }
    return flat;
  }

  /** The map's signal aborted: cancel what has not started, end what runs; the next step throws the reason. */
  #abort(reason: unknown): void {
    if (this.#ended) return;
    this.#aborted = { reason };
    this.#notifyProgress();
    const running = this.#current === undefined ? [] : [this.#current];
    for (let i = this.#unitsHead; i < this.#units.length; i++) running.push(this.#units[i]!);
    // A call not started is cancelled; a running one is ended (only a limited call can be: a map
    // with a signal makes every call limited).
    for (const unit of running) if (!unit.future.cancel()) unit.limited?.end(reason);
    this.#end();
  }

  /** Any end but running out: cancel every call not started, stop reading the source. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#notifyProgress(); // a step waiting on an async source ends now, not when the source yields
    this.#buffer = [];
    this.#bufferIndex = 0;
    this.#afterBuffer = undefined; // after return(), next() is { done: true }, never a chunk's stored error
    // The awaited unit too: after a timeout it may not have started (Python's _result_or_cancel).
    this.#current?.future.cancel();
    for (let i = this.#unitsHead; i < this.#units.length; i++) this.#units[i]!.future.cancel();
    this.#units = [];
    this.#unitsHead = 0;
    if (!this.#exhausted) this.#stopSource(undefined);
    if (this.#onAbort !== undefined) mapSignals.unwatch(this.#plan.signal!, this.#onAbort);
  }
}

/**
 * An array that `for...of` would read by index anyway: its iterator is Array.prototype's own, so
 * reading it by index gives the same items without the iterator protocol. An array with its own
 * `[Symbol.iterator]` (or a subclass that overrides it) is iterated as the user wrote it.
 */
function isPlainArray(iterable: unknown): boolean {
  return (
    Array.isArray(iterable) &&
    (iterable as unknown[])[Symbol.iterator] === ARRAY_VALUES &&
    ARRAY_ITERATOR_NEXT === ARRAY_ITERATOR_PROTOTYPE.next
  );
}
const ARRAY_VALUES = Array.prototype[Symbol.iterator];
const ARRAY_ITERATOR_PROTOTYPE = Object.getPrototypeOf([][Symbol.iterator]()) as Iterator<unknown>;
const ARRAY_ITERATOR_NEXT = ARRAY_ITERATOR_PROTOTYPE.next;

/**
 * What `for...of` checks of every step: an iterator's `next()` must give an object. A broken one
 * that gives `5` would otherwise read as an endless run of `undefined` items, submitted forever.
 */
function iteratorResult(step: unknown): IteratorResult<unknown> {
  if ((typeof step === 'object' && step !== null) || typeof step === 'function')
    return step as IteratorResult<unknown>;
  throw new TypeError(
    `An iterable given to map() has an iterator whose next() returned ${String(step)}, not an iterator result object ({ value, done }).`,
  );
}
