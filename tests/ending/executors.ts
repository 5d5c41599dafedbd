// The executors the "Ending a running call" suite runs against, and every way they differ, in this
// one place (docs: ../../../shared/spec/API.md, "Ending a running call — beyond Python"). Each
// *.test.ts file of this folder runs the shared scenarios (scenarios.ts) for one row, so the three
// executors run in parallel jest workers.

import {
  EventLoopExecutor,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  type Callable,
  type Executor,
} from 'concurrent-futures';

/** The options the suite passes; every executor takes them. */
export interface EndingOptions {
  maxWorkers?: number | null;
  endGraceMs?: number | null;
  initializer?: Callable | null;
  initargs?: unknown[] | null;
}

export interface EndingExecutor {
  name: string;
  create(options?: EndingOptions): Executor;
  /**
   * The ids of its live workers (threadId / pid, as a call sees them through `workerId()`), or
   * undefined for an executor that runs calls on the test's own thread: it has no worker to end.
   */
  workerIds: ((executor: Executor) => number[]) | undefined;
  /**
   * How a call that does not stop by itself is ended: its worker thread is terminated, its child
   * process gets SIGTERM then SIGKILL, or (undefined) the call is abandoned: its future fails and
   * its slot is freed at once, and it runs on, ignored.
   */
  endsWorker: 'terminate' | 'SIGTERM, then SIGKILL' | undefined;
  /**
   * Why a call stuck in a synchronous loop cannot be ended, or undefined if it can. The scenarios
   * that need it are skipped for this executor.
   */
  cannotEndSyncLoop: string | undefined;
  /** `map`'s `chunksize` sends several items per call, so a chunk times out as a whole. */
  runsChunks: boolean;
  /** Calls run in the test's memory: a call can hand back its AbortSignal itself. */
  sharesMemory: boolean;
  /** Ends the executor and every worker it has, whatever a test left running. */
  cleanUp(executor: Executor): Promise<void>;
}

async function shutdownWithin(executor: Executor, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    executor.shutdown({ cancelFutures: true }),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

export const executors = {
  thread: {
    name: 'ThreadPoolExecutor',
    create: (options) => new ThreadPoolExecutor(options),
    workerIds: (executor) => (executor as ThreadPoolExecutor).workerIds,
    endsWorker: 'terminate',
    cannotEndSyncLoop: undefined,
    runsChunks: true,
    sharesMemory: false,
    cleanUp: (executor) => shutdownWithin(executor, 10_000),
  },
  process: {
    name: 'ProcessPoolExecutor',
    create: (options) => new ProcessPoolExecutor(options),
    workerIds: (executor) => (executor as ProcessPoolExecutor).workerIds,
    endsWorker: 'SIGTERM, then SIGKILL',
    cannotEndSyncLoop: undefined,
    runsChunks: true,
    sharesMemory: false,
    // SIGKILL: a child a test left in a loop that ignores SIGTERM still goes.
    cleanUp: async (executor) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        (executor as ProcessPoolExecutor).killWorkers(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000))),
      ]);
      clearTimeout(timer);
    },
  },
  eventLoop: {
    name: 'EventLoopExecutor',
    create: (options) => new EventLoopExecutor(options),
    workerIds: undefined,
    endsWorker: undefined,
    // Its calls run on the test's own thread: `while (true) {}` would hold that thread, the timer
    // that should end the call could never fire, and nothing can end the call without ending the
    // test itself.
    cannotEndSyncLoop:
      'its calls run on the calling thread, which a sync loop holds forever: no timer can fire and nothing can end it',
    runsChunks: false,
    sharesMemory: true,
    cleanUp: (executor) => shutdownWithin(executor, 10_000),
  },
} satisfies Record<string, EndingExecutor>;
