// The public API: re-exports only.
//
// The declarations use Node's types (@types/node) and the disposable protocol (`await using`): the
// references below, kept in the emitted index.d.ts, bring both into a user's program, so that it
// compiles without `"types": ["node"]` (TypeScript 6 and later load no @types by default) or a lib
// that names `esnext.disposable`. The README says to install @types/node. (The error classes take
// `ErrorCauseOptions`, not ES2022's ErrorOptions: a project whose target is older has none.)
/// <reference types="node" preserve="true" />
/// <reference lib="esnext.disposable" preserve="true" />
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
export { transfer, type TransferItem } from './transfer.js';
export { fromModule, type ModuleFunction, type Callable } from './callable.js';
export {
  EventLoopExecutor,
  type EventLoopExecutorOptions,
} from './event-loop/event-loop-executor.js';
export type { ExecutorStats, TimeStats } from './stats.js';
export { ThreadPoolExecutor } from './thread/thread-pool-executor.js';
export type { ThreadPoolExecutorOptions } from './thread/options.js';
export { ProcessPoolExecutor } from './process/process-pool-executor.js';
export type { ProcessPoolExecutorOptions } from './process/options.js';
