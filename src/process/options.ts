import type { Callable } from '../callable.js';
import type { CommonPoolOptions } from '../pool/settings.js';
import type { OptionKeys } from '../validate.js';

/** Options of `new ProcessPoolExecutor(options)`. */
export interface ProcessPoolExecutorOptions<I extends any[] = any[]> extends CommonPoolOptions<I> {
  /** Most child processes at once. Default `os.availableParallelism()`. */
  maxWorkers?: number | null | undefined;
  /** Runs once in every child before its first call (sync or async; it travels like a submitted function). */
  initializer?: Callable<I> | null | undefined;
  /** Arguments for `initializer`. Default `[]`. */
  initargs?: NoInfer<I> | null | undefined;
  /**
   * When a call's timeout passes or its signal aborts, how long it may take to stop by itself
   * (through currentSignal()) before its child is ended (SIGTERM, then SIGKILL after as long again). Default 1000; Infinity: never.
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
  /** Calls a child runs before it exits and a fresh one takes its place. Default: no limit. */
  maxTasksPerChild?: number | null | undefined;
  /**
   * Node options of every child. Default: `process.execArgv` less a TypeScript loader (tsx,
   * ts-node), which a child applies only before it first imports a module (see the guide,
   * "Running TypeScript"). Given explicitly, used as given. Either way less the flags of the main
   * entry alone (`-e`, `-p`, `-i`, `--input-type`, …), with which no child can start.
   */
  execArgv?: string[] | null | undefined;
  /** Environment of every child. Default `process.env`. */
  env?: NodeJS.ProcessEnv | null | undefined;
}

/** Every option of `new ProcessPoolExecutor()`: any other key is refused. */
export const PROCESS_POOL_OPTION_KEYS: OptionKeys<ProcessPoolExecutorOptions> = {
  maxWorkers: true,
  initializer: true,
  initargs: true,
  endGraceMs: true,
  maxTasksPerChild: true,
  execArgv: true,
  env: true,
  minWorkers: true,
  idleTimeout: true,
};
