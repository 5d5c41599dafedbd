// ProcessPoolExecutor: the pool core over child processes from fork(). As in Python, a child that
// dies abruptly breaks the pool: every pending and running future fails with BrokenProcessPool.

import { availableParallelism } from 'node:os';
import { BrokenProcessPool, type BrokenExecutor } from '../errors.js';
import { PoolExecutor } from '../pool/pool-executor.js';
import type { PoolWorker, PoolWorkerEvents, WorkerExit } from '../pool/pool-worker.js';
import { serialize, deserialize } from 'node:v8';
import { checkCommonPoolOptions, checkInitargsTravel } from '../pool/settings.js';
import type { Callable } from '../callable.js';
import type { Future } from '../future.js';
import type { CallLimits } from '../limits/limited-call.js';
import type { CallableDef } from '../protocol/messages.js';
import { isMessagePort, type TransferItem } from '../transfer.js';
import { checkPositiveInteger, describe } from '../validate.js';
import { childStartup } from './exec-argv.js';
import { PROCESS_POOL_OPTION_KEYS, type ProcessPoolExecutorOptions } from './options.js';
import {
  ENTRY as PROCESS_ENTRY,
  ProcessWorker,
  type ProcessWorkerOptions,
} from './process-worker.js';
import { checkWorkerEntry } from '../pool/worker-entry.js';

// I: the initializer's parameters (see CommonPoolOptions); nothing else depends on it.
export class ProcessPoolExecutor<I extends any[] = any[]> extends PoolExecutor {
  readonly #childOptions: ProcessWorkerOptions;
  protected readonly deathBreaksPool = true;
  protected readonly takesCallsBack = false;

  constructor(options?: ProcessPoolExecutorOptions<I>) {
    const common = checkCommonPoolOptions<ProcessPoolExecutorOptions>(
      options,
      availableParallelism(),
      PROCESS_POOL_OPTION_KEYS,
      'new ProcessPoolExecutor()',
    );
    const { execArgv, env } = common.options;
    const maxTasksPerChild =
      checkPositiveInteger(common.options.maxTasksPerChild, 'maxTasksPerChild') ?? Infinity;
    if (execArgv !== undefined && execArgv !== null) {
      if (!Array.isArray(execArgv)) {
        throw new TypeError(
          `Expected \`execArgv\` to be an array of strings, got ${describe(execArgv)}.`,
        );
      }
      const at = execArgv.findIndex((arg) => typeof arg !== 'string');
      if (at >= 0) {
        throw new TypeError(
          `Expected \`execArgv\` to be an array of strings, but execArgv[${at}] is ${describe(execArgv[at])}.`,
        );
      }
    }
    if (env !== undefined && env !== null && (typeof env !== 'object' || Array.isArray(env))) {
      throw new TypeError(
        `Expected \`env\` to be an object of environment variables, got ${describe(env)}.`,
      );
    }
    checkNoNulBytes(execArgv, env);
    // fork()'s advanced serialization is V8's serializer: the same round trip as the IPC channel.
    checkInitargsTravel(common.initargs, (value) => deserialize(serialize(value)));
    checkWorkerEntry(PROCESS_ENTRY, 'ProcessPoolExecutor');
    super({ ...common, maxTasksPerWorker: maxTasksPerChild });
    this.#childOptions = childStartup(execArgv ?? undefined, env ?? undefined);
    this.startMinWorkers();
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

  /** A process pool copies what it sends; a MessagePort cannot be copied to another process. */
  protected override submitTransferring(
    fn: Callable,
    args: unknown[],
    limits: CallLimits | undefined,
    transfer: readonly TransferItem[],
  ): Future<any> {
    const index = transfer.findIndex(isMessagePort);
    if (index !== -1) {
      throw new TypeError(
        `Element ${index} of \`transfer\` is a MessagePort, which cannot reach a child process: a ` +
          `process pool copies what it sends, and a port cannot be copied. Use a ThreadPoolExecutor to ` +
          `hand a port to a call.`,
      );
    }
    return super.submitTransferring(fn, args, limits, transfer);
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

  protected describeDeath(worker: PoolWorker, exit: WorkerExit, hadCalls: boolean): string {
    const how =
      exit.signal !== null
        ? `was killed by signal ${exit.signal}`
        : `exited with code ${exit.code}`;
    // As in Python, any abrupt death breaks the pool, an idle child's too (nothing says why it died).
    const when = hadCalls ? 'while calls were pending or running' : 'while it was idle';
    return (
      `A child process of the pool (pid ${worker.id}) ${how} ${when}, so the pool is broken. ` +
      `Create a new ProcessPoolExecutor to go on.`
    );
  }
}

/** fork() throws on a NUL byte in an argument or the environment; found at start, the child would be orphaned. */
function checkNoNulBytes(
  execArgv: string[] | null | undefined,
  env: NodeJS.ProcessEnv | null | undefined,
): void {
  for (const arg of execArgv ?? []) {
    if (arg.includes('\0')) {
      throw new TypeError(
        `Expected \`execArgv\` to hold no NUL bytes, got ${JSON.stringify(arg)}: a process cannot be started with it.`,
      );
    }
  }
  for (const [key, value] of Object.entries(env ?? {})) {
    if (key.includes('\0') || (value !== undefined && String(value).includes('\0'))) {
      throw new TypeError(
        `Expected \`env\` to hold no NUL bytes, but env[${JSON.stringify(key)}] has one: a process cannot be started with it. ` +
          `Remove the NUL byte or leave the variable out.`,
      );
    }
  }
}
