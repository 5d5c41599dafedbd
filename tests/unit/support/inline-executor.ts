// A small executor for the unit tests only: it runs calls on this thread's event loop, at most
// `maxWorkers` at once, so the parts the abstract Executor writes once (map, shutdown's checks, the
// disposals) can be tested without worker threads or child processes.
//
// How a call flows:  submit() ─▶ queue ─(setImmediate)─▶ pump ─▶ setRunningOrNotifyCancel()
//                    ─(queueMicrotask)─▶ fn(...args) ─▶ setResult / setException ─▶ pump again
//
// Calls never start inside submit(): the pump runs in a later setImmediate turn, so a call
// submitted in this tick can still be cancelled in this tick. It also counts what it did, so tests
// can check what was submitted and what actually ran.

import { Executor, Future, type Callable } from '../../../src/index.js';
import { ChunkFailure } from '../../../src/map.js';
import { isModuleFunction } from '../../../src/callable.js';
import { Limiter, type LimitedCall } from '../../../src/limits/limited-call.js';
import { deferred } from './async.js';

interface Job {
  future: Future<any>;
  run: () => Promise<unknown>;
}

export interface InlineExecutorOptions {
  /** Calls running at once at most (default 2). */
  maxWorkers?: number;
}

export class InlineExecutor extends Executor {
  readonly maxWorkers: number;
  /** Every future this executor created, single calls and chunks, in submission order. */
  readonly futures: Future<any>[] = [];
  /** How many calls (chunk items included) have started. */
  started = 0;
  /** The most calls ever running at once. */
  peakRunning = 0;
  /** How many items each submitChunk() call carried, in order. */
  readonly chunkSizes: number[] = [];
  /** How many times the base class asked this executor to start shutting down. */
  shutdownStarts = 0;

  readonly #queue: Job[] = [];
  #queueHead = 0;
  #running = 0;
  #pumpScheduled = false;
  #idle: Array<() => void> = [];

  constructor(options: InlineExecutorOptions = {}) {
    super();
    this.maxWorkers = options.maxWorkers ?? 2;
  }

  override submit<A extends unknown[], R>(fn: Callable<A, R>, ...args: A): Future<Awaited<R>> {
    this.checkSubmit(fn);
    const future = new Future<Awaited<R>>();
    this.#enqueue(future, async () => {
      this.started++;
      return (await resolveCallable(fn))(...args);
    });
    return future;
  }

  // Limits (timeouts, signals) are the real executors' business, tested in tests/ending: here a
  // limited call is a plain one, which is all map's option plumbing needs.
  protected override submitLimited(fn: Callable, args: unknown[]): LimitedCall<any> {
    return noLimits.limit(this.submit(fn, ...args), NO_LIMITS, undefined);
  }

  /** Runs the items one after another; the first error fails the chunk with a ChunkFailure. */
  protected override submitChunk(
    fn: Callable,
    arity: number,
    flatArgs: unknown[],
  ): Future<unknown[]> {
    this.checkSubmit(fn);
    const argLists: unknown[][] = [];
    for (let i = 0; i < flatArgs.length; i += arity) argLists.push(flatArgs.slice(i, i + arity));
    this.chunkSizes.push(argLists.length);
    const future = new Future<unknown[]>();
    this.#enqueue(future, async () => {
      const call = await resolveCallable(fn);
      const results: unknown[] = [];
      for (const args of argLists) {
        this.started++;
        try {
          results.push(await call(...args));
        } catch (error) {
          throw new ChunkFailure(results, error);
        }
      }
      return results;
    });
    return future;
  }

  /** The calls waiting in the queue (not started, not cancelled). */
  get queued(): number {
    let count = 0;
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      if (this.#queue[i]!.future.state === 'PENDING') count++;
    }
    return count;
  }

  get runningCount(): number {
    return this.#running;
  }

  get shutDown(): boolean {
    return this.isShutdown;
  }

  protected override startShutdown(): Promise<void> {
    this.shutdownStarts++;
    return new Promise<void>((resolve) => {
      this.#idle.push(resolve);
      this.#checkIdle();
    });
  }

  protected override cancelPendingCalls(): void {
    // Cancelled jobs stay queued: the pump meets them and marks them CANCELLED_AND_NOTIFIED, as a
    // real executor's worker does.
    for (let i = this.#queueHead; i < this.#queue.length; i++) this.#queue[i]!.future.cancel();
  }

  #enqueue(future: Future<any>, run: () => Promise<unknown>): void {
    this.futures.push(future);
    this.#queue.push({ future, run });
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.maxWorkers && this.#queueHead < this.#queue.length) {
      const job = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Job;
      if (!job.future.setRunningOrNotifyCancel()) continue;
      this.#running++;
      this.peakRunning = Math.max(this.peakRunning, this.#running);
      queueMicrotask(() => {
        job.run().then(
          (value) => this.#settle(() => job.future.setResult(value)),
          (error: unknown) => this.#settle(() => job.future.setException(error)),
        );
      });
    }
    this.#checkIdle();
  }

  #settle(end: () => void): void {
    this.#running--;
    end();
    this.#schedulePump();
  }

  #checkIdle(): void {
    if (this.#running > 0 || this.#queueHead < this.#queue.length || this.#idle.length === 0)
      return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}

async function resolveCallable(fn: Callable): Promise<(...args: unknown[]) => unknown> {
  if (typeof fn === 'function') return fn as (...args: unknown[]) => unknown;
  if (!isModuleFunction(fn)) throw new TypeError('not callable');
  const module = (await import(fn.module)) as Record<string, unknown>;
  const exported = module[fn.exportName];
  if (typeof exported !== 'function')
    throw new TypeError(`${fn.exportName} is not a function in ${fn.module}`);
  return exported as (...args: unknown[]) => unknown;
}

/** A function that records which items started and holds chosen items until released. */
export function recorder<T>(held: T[] = []) {
  const started: T[] = [];
  const gates = new Map(held.map((item) => [item, deferred()]));
  const fn = async (item: T): Promise<T> => {
    started.push(item);
    await gates.get(item)?.promise;
    return item;
  };
  const release = (item: T): void => gates.get(item)!.resolve();
  const releaseAll = (): void => gates.forEach((gate) => gate.resolve());
  return { fn, started, release, releaseAll };
}

/** What submitLimited gives back: its call ends as a plain one (no timer, no signal watched). */
const noLimits = new Limiter<undefined>({
  nameOf: () => 'a function',
  hasStarted: () => true,
  stopRunning: () => {},
});
const NO_LIMITS = { timeout: undefined, signal: undefined };
