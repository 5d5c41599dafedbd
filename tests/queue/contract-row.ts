// The QueueExecutor's row in the contract suite (tests/contract). The suite submits its own
// functions; a QueueExecutor sends only fromModule() references, so this row's executor (for the
// suite only) turns each function into a reference to the export of the same name in
// fixtures/contract-tasks.mjs, which worker hosts allow. Everything else is the real executor on
// a real Redis with a real host in a process of its own. What differs is declared in
// contract.test.ts's capabilities: no initializer (hosts own their set-up), no `maxWorkers`
// (the suite's maxWorkers becomes `maxPending`: calls in Redis count as running).

import { fromModule, type Callable, type Future } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import type { ContractExecutorOptions } from '../contract/executor-contract.js';
import { startHost, startRedis, uniqueQueue, type Host, type RedisServer } from './support.js';

const contractTasks = new URL('./fixtures/contract-tasks.mjs', import.meta.url);

function byName(fn: unknown): unknown {
  return typeof fn === 'function' ? fromModule(contractTasks, fn.name) : fn;
}

class ContractQueueExecutor extends QueueExecutor {
  override submit(fn: Callable, ...args: unknown[]): Future<any> {
    return super.submit(byName(fn) as Callable, ...args);
  }

  protected override checkSubmit(fn: unknown): void {
    super.checkSubmit(byName(fn));
  }

  // Return types inferred: a limited call comes back as what ends it (a LimitedCall).
  protected override submitLimited(fn: Callable, ...rest: [unknown[], never]) {
    return super.submitLimited(byName(fn) as Callable, ...rest);
  }

  protected override submitChunk(fn: Callable, ...rest: [number, unknown[], never]) {
    return super.submitChunk(byName(fn) as Callable, ...rest);
  }
}

export interface QueueRow {
  start(): Promise<void>;
  stop(): Promise<void>;
  factory(options?: ContractExecutorOptions): QueueExecutor;
}

export function queueRow(): QueueRow {
  let redis: RedisServer | undefined;
  let host: Host | undefined;
  const queue = uniqueQueue('contract');
  return {
    async start() {
      redis = await startRedis();
      host = await startHost({
        redis: redis.url,
        queue,
        pool: 'event-loop',
        workers: 8,
        allow: [
          './tests/queue/fixtures/contract-tasks.mjs',
          './tests/contract/fixtures/tasks.js',
          './tests/contract/fixtures/object-exports.cjs',
          './tests/contract/fixtures/class-instance.cjs',
        ],
      });
    },
    async stop() {
      await host?.stop();
      await redis?.stop();
    },
    factory(options) {
      return new ContractQueueExecutor({
        connection: redis!.url,
        queue,
        maxPending: options?.maxWorkers ?? null,
      });
    },
  };
}
