// ThreadPoolExecutor: the pool core over worker threads. A worker that dies fails only the call
// it was running and is replaced; only a failing initializer breaks the pool.

import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { BrokenThreadPool, type BrokenExecutor } from '../errors.js';
import { PoolExecutor } from '../pool/pool-executor.js';
import type { PoolWorker, PoolWorkerEvents, WorkerExit } from '../pool/pool-worker.js';
import { checkCommonPoolOptions, checkInitargsTravel } from '../pool/settings.js';
import type { CallableDef } from '../protocol/messages.js';
import { describe } from '../validate.js';
import { THREAD_POOL_OPTION_KEYS, type ThreadPoolExecutorOptions } from './options.js';
import { ENTRY as THREAD_ENTRY, ThreadWorker } from './thread-worker.js';
import { checkWorkerEntry } from '../pool/worker-entry.js';
import { describeError } from '../describe-error.js';

let poolCount = 0;

// I: the initializer's parameters (see CommonPoolOptions); nothing else depends on it.
export class ThreadPoolExecutor<I extends any[] = any[]> extends PoolExecutor {
  readonly #namePrefix: string;
  readonly #resourceLimits: ResourceLimits | undefined;
  #threadCount = 0;
  protected readonly deathBreaksPool = false;
  protected readonly takesCallsBack = true;

  constructor(options?: ThreadPoolExecutorOptions<I>) {
    const common = checkCommonPoolOptions<ThreadPoolExecutorOptions>(
      options,
      Math.min(32, availableParallelism() + 4),
      THREAD_POOL_OPTION_KEYS,
      'new ThreadPoolExecutor()',
    );
    const { threadNamePrefix, resourceLimits } = common.options;
    if (
      threadNamePrefix !== undefined &&
      threadNamePrefix !== null &&
      typeof threadNamePrefix !== 'string'
    ) {
      throw new TypeError(
        `Expected \`threadNamePrefix\` to be a string, got ${describe(threadNamePrefix)}.`,
      );
    }
    if (
      resourceLimits !== undefined &&
      resourceLimits !== null &&
      (typeof resourceLimits !== 'object' || Array.isArray(resourceLimits))
    ) {
      throw new TypeError(
        `Expected \`resourceLimits\` to be an object of Worker resource limits, got ${describe(resourceLimits)}.`,
      );
    }
    // Node 20 aborts the whole process (not just the thread) when a worker's stack cannot hold
    // its own start-up (below about 0.3 MB here), and for Infinity.
    const limits = copyOfLimits(resourceLimits as ResourceLimits | null | undefined);
    const stackSizeMb = limits?.stackSizeMb;
    if (
      typeof stackSizeMb === 'number' &&
      !(stackSizeMb >= MIN_STACK_SIZE_MB && Number.isFinite(stackSizeMb))
    ) {
      throw new RangeError(
        `resourceLimits.stackSizeMb of ${stackSizeMb} cannot start a thread: Node ends the whole ` +
          `process, not just the thread. Give a finite number, ${MIN_STACK_SIZE_MB} or more (Node's default is 4).`,
      );
    }
    // 0 or less starts no thread at all (each runs out of memory at once); NaN would be ignored.
    const oldGenerationMb = limits?.maxOldGenerationSizeMb;
    if (typeof oldGenerationMb === 'number' && !(oldGenerationMb > 0)) {
      throw new RangeError(
        `resourceLimits.maxOldGenerationSizeMb of ${oldGenerationMb} leaves a thread no heap: give a ` +
          `positive number of MB (a thread needs about 6 to start; Node's default depends on the machine's memory).`,
      );
    }
    checkInitargsTravel(common.initargs, structuredClone);
    checkWorkerEntry(THREAD_ENTRY, 'ThreadPoolExecutor');
    super({ ...common, maxTasksPerWorker: Infinity });
    this.#namePrefix = threadNamePrefix || `ThreadPoolExecutor-${poolCount++}`;
    this.#resourceLimits = limits;
    this.startMinWorkers();
  }

  /**
   * Shuts the pool down and ends every thread: calls not started are cancelled; running ones fail
   * at once with BrokenThreadPool and their currentSignal() aborts, and a thread still running one
   * after `endGraceMs` is terminated. The way out of a call stuck in synchronous code.
   */
  terminateWorkers(): Promise<void> {
    return this.endAllWorkersAfterGrace(
      'terminateWorkers() ended the worker thread running this call.',
    );
  }

  /** Shuts the pool down and terminates every thread at once; calls not started are cancelled, running ones fail. */
  killWorkers(): Promise<void> {
    return this.endAllWorkers(
      undefined,
      'killWorkers() ended the worker thread running this call.',
    );
  }

  protected createWorker(
    initializer: CallableDef | undefined,
    initargs: unknown[],
    events: PoolWorkerEvents,
  ): PoolWorker {
    const name = `${this.#namePrefix}_${this.#threadCount++}`;
    return new ThreadWorker(
      initializer,
      initargs,
      { name, resourceLimits: this.#resourceLimits },
      events,
    );
  }

  protected newBrokenError(message: string, cause: unknown): BrokenExecutor {
    return new BrokenThreadPool(message, cause === undefined ? undefined : { cause });
  }

  protected describeDeath(worker: PoolWorker, exit: WorkerExit): string {
    const error = exit.error as (Error & { code?: string }) | undefined;
    if (error?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const limit =
        this.#resourceLimits?.maxOldGenerationSizeMb !== undefined
          ? 'its resourceLimits were reached'
          : "its heap limit was reached: V8's default or --max-old-space-size; resourceLimits sets a thread's own";
      return `Worker thread ${worker.id} ran out of memory while running this call (${limit}); the pool replaced it.`;
    }
    if (error === undefined)
      return `Worker thread ${worker.id} died while running this call: it exited with code ${exit.code}. The pool replaced it; the other calls go on.`;
    // An uncaught error is the thread's, not surely this call's: a timer or a promise an earlier
    // call on the thread left behind throws while whichever call runs next.
    return (
      `Worker thread ${worker.id} died while running this call, after an uncaught error: ${describeError(error)}. ` +
      `It may come from this call, or from a timer or promise an earlier call on that thread left behind. ` +
      `The pool replaced the thread; the other calls go on.`
    );
  }
}

/** The smallest worker stack accepted (MB): Node aborts the process below about 0.3. */
const MIN_STACK_SIZE_MB = 0.5;

/**
 * The four limits Node reads, each read once into an object of ours: the checks above hold for what
 * every thread start uses. Kept by reference, the user's object could change after the constructor
 * checked it (a stackSizeMb of 0.1 set later ended the whole process at the next thread's start).
 */
function copyOfLimits(given: ResourceLimits | null | undefined): ResourceLimits | undefined {
  if (given === undefined || given === null) return undefined;
  const copy: ResourceLimits = {};
  for (const key of RESOURCE_LIMIT_KEYS) {
    const value = Object.hasOwn(given, key) ? given[key] : undefined;
    if (value !== undefined) copy[key] = value;
  }
  return copy;
}

const RESOURCE_LIMIT_KEYS = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;
