import type { Callable } from '../callable.js';
import type { OptionKeys } from '../validate.js';

/** Options of `new EventLoopExecutor(options)`. `null` or `undefined` means the option is not given. */
export interface EventLoopExecutorOptions<I extends any[] = any[]> {
  /**
   * How many calls may run at once (a call runs from its start until its promise settles).
   * An integer >= 1. Default: `Math.min(32, os.availableParallelism() + 4)`, as for the
   * `ThreadPoolExecutor`, so switching between the two changes nothing else.
   */
  maxWorkers?: number | null | undefined;
  /**
   * Runs once, before the first call (sync or async, awaited). If it throws or rejects, the executor
   * is broken: pending calls fail with `BrokenExecutor` and `submit` throws it. Default: none.
   */
  initializer?: Callable<I> | null | undefined;
  /** The arguments of `initializer`, passed by reference. Default: `[]`. */
  initargs?: Readonly<NoInfer<I>> | null | undefined;
  /**
   * Milliseconds a pool waits for an ended call to stop before ending its worker (a number >= 0,
   * `Infinity` allowed). Accepted for a drop-in switch between executors and unused here: the
   * event loop cannot end a call. Default: 1000.
   */
  endGraceMs?: number | null | undefined;
}

/** Every option of `new EventLoopExecutor()`: any other key is refused. */
export const EVENT_LOOP_OPTION_KEYS: OptionKeys<EventLoopExecutorOptions> = {
  maxWorkers: true,
  initializer: true,
  initargs: true,
  endGraceMs: true,
};
