import type { ResourceLimits } from 'node:worker_threads';
import type { CommonPoolOptions } from '../pool/settings.js';

/** Options of `new ThreadPoolExecutor(options)`. */
export interface ThreadPoolExecutorOptions extends CommonPoolOptions {
  /** Most worker threads at once. Default `Math.min(32, os.availableParallelism() + 4)`. */
  maxWorkers?: number | null;
  /** Names the threads `${threadNamePrefix}_${n}`. Default `ThreadPoolExecutor-${pool number}`. */
  threadNamePrefix?: string | null;
  /** Runs once in every worker before its first call (sync or async; it travels like a submitted function). */
  initializer?: CommonPoolOptions['initializer'];
  /** Arguments for `initializer`. Default `[]`. */
  initargs?: unknown[] | null;
  /** Node's `Worker` resource limits, given to every thread. Default: none. */
  resourceLimits?: ResourceLimits | null;
}
