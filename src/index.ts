// The public API: re-exports only.
export {
  CancelledError,
  TimeoutError,
  InvalidStateError,
  BrokenExecutor,
  BrokenThreadPool,
  BrokenProcessPool,
} from './errors.js';
export { Future, type FutureState } from './future.js';
export { wait, asCompleted, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED } from './wait.js';
export type { ReturnWhen, WaitOptions, AsCompletedOptions, DoneAndNotDone } from './wait.js';
export {
  Executor,
  type MapOptions,
  type ScheduleOptions,
  type ShutdownOptions,
  type IterablesOf,
} from './executor.js';
export { currentSignal } from './current-signal.js';
export { fromModule, type ModuleFunction, type Callable } from './callable.js';
export {
  EventLoopExecutor,
  type EventLoopExecutorOptions,
} from './event-loop/event-loop-executor.js';
export { ThreadPoolExecutor } from './thread/thread-pool-executor.js';
export type { ThreadPoolExecutorOptions } from './thread/options.js';
export { ProcessPoolExecutor } from './process/process-pool-executor.js';
export type { ProcessPoolExecutorOptions } from './process/options.js';
