// ProcessPoolExecutor: the pool core over child processes from fork(). As in Python, a child that
// dies abruptly breaks the pool: every pending and running future fails with BrokenProcessPool.

import { availableParallelism } from 'node:os';
import { BrokenProcessPool, type BrokenExecutor } from '../errors.js';
import { PoolExecutor } from '../pool/pool-executor.js';
import type { PoolWorker, PoolWorkerEvents, WorkerExit } from '../pool/pool-worker.js';
import { checkCommonPoolOptions } from '../pool/settings.js';
import type { CallableDef } from '../protocol/messages.js';
import { checkPositiveInteger, describe } from '../validate.js';
import type { ProcessPoolExecutorOptions } from './options.js';
import { ProcessWorker, type ProcessWorkerOptions } from './process-worker.js';

export class ProcessPoolExecutor extends PoolExecutor {
  readonly #childOptions: ProcessWorkerOptions;
  protected readonly deathBreaksPool = true;
  protected readonly handsLimitedCallsAhead = false;

  constructor(options?: ProcessPoolExecutorOptions) {
    const common = checkCommonPoolOptions<ProcessPoolExecutorOptions>(
      options,
      availableParallelism(),
    );
    const { execArgv, env } = common.options;
    const maxTasksPerChild =
      checkPositiveInteger(common.options.maxTasksPerChild, 'maxTasksPerChild') ?? Infinity;
    if (
      execArgv !== undefined &&
      execArgv !== null &&
      (!Array.isArray(execArgv) || execArgv.some((arg) => typeof arg !== 'string'))
    ) {
      throw new TypeError(
        `Expected \`execArgv\` to be an array of strings, got ${describe(execArgv)}.`,
      );
    }
    if (env !== undefined && env !== null && (typeof env !== 'object' || Array.isArray(env))) {
      throw new TypeError(
        `Expected \`env\` to be an object of environment variables, got ${describe(env)}.`,
      );
    }
    super({ ...common, maxTasksPerWorker: maxTasksPerChild });
    this.#childOptions = { execArgv: execArgv ?? process.execArgv, env: env ?? process.env };
  }

  /** Shuts the pool down and ends every child with SIGTERM; calls not started are cancelled, running ones fail. */
  terminateWorkers(): Promise<void> {
    return this.endAllWorkers(
      'SIGTERM',
      'terminateWorkers() ended the child process running this call.',
    );
  }

  /** Shuts the pool down and ends every child with SIGKILL; calls not started are cancelled, running ones fail. */
  killWorkers(): Promise<void> {
    return this.endAllWorkers(
      'SIGKILL',
      'killWorkers() ended the child process running this call.',
    );
  }

  protected createWorker(
    initializer: CallableDef | undefined,
    initargs: unknown[],
    events: PoolWorkerEvents,
  ): PoolWorker {
    return new ProcessWorker(initializer, initargs, this.#childOptions, events);
  }

  protected newBrokenError(message: string, cause: unknown): BrokenExecutor {
    return new BrokenProcessPool(message, cause === undefined ? undefined : { cause });
  }

  protected describeDeath(worker: PoolWorker, exit: WorkerExit): string {
    const how =
      exit.signal !== null
        ? `was killed by signal ${exit.signal}`
        : `exited with code ${exit.code}`;
    return (
      `A child process of the pool (pid ${worker.id}) ${how} while calls were pending or running, so the pool is broken. ` +
      `Create a new ProcessPoolExecutor to go on.`
    );
  }
}
