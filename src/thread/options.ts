import type { Callable } from '../callable.js';
import type { ResourceLimits } from 'node:worker_threads';
import type { CommonPoolOptions } from '../pool/settings.js';
import type { OptionKeys } from '../validate.js';

/** Options of `new ThreadPoolExecutor(options)`. */
export interface ThreadPoolExecutorOptions<I extends any[] = any[]> extends CommonPoolOptions<I> {
  /** Most worker threads at once. Default `Math.min(32, os.availableParallelism() + 4)`. */
  maxWorkers?: number | null | undefined;
  /** Names the threads `${threadNamePrefix}_${n}`. Default `ThreadPoolExecutor-${pool number}`. */
  threadNamePrefix?: string | null | undefined;
  /** Runs once in every worker before its first call (sync or async; it travels like a submitted function). */
  initializer?: Callable<I> | null | undefined;
  /** Arguments for `initializer`. Default `[]`. */
  initargs?: NoInfer<I> | null | undefined;
  /**
   * When a call's timeout passes or its signal aborts, how long it may take to stop by itself
   * (through currentSignal()) before its worker thread is ended (terminate()). Default 1000; Infinity: never.
   */
  endGraceMs?: number | null | undefined;
  /**
   * Workers started at construction and kept while idle (beyond Python). Default 0: workers start
   * only when calls come, as in Python. At most `maxWorkers`.
   */
  minWorkers?: number | null | undefined;
  /**
   * Milliseconds an idle worker beyond `minWorkers` waits for a call before it exits (beyond
   * Python). Default: never (Infinity).
   */
  idleTimeout?: number | null | undefined;
  /** Node's `Worker` resource limits, given to every thread. Default: none. */
  resourceLimits?: ResourceLimits | null | undefined;
}

/** Every option of `new ThreadPoolExecutor()`: any other key is refused. */
export const THREAD_POOL_OPTION_KEYS: OptionKeys<ThreadPoolExecutorOptions> = {
  maxWorkers: true,
  threadNamePrefix: true,
  initializer: true,
  initargs: true,
  endGraceMs: true,
  resourceLimits: true,
  minWorkers: true,
  idleTimeout: true,
};
