// Runs the one executor behaviour suite against every executor. To add an executor, add a row:
// its name, a factory taking the common options, and what it can do beyond the contract.

import { EventLoopExecutor, ProcessPoolExecutor, ThreadPoolExecutor } from 'concurrent-futures';
import {
  describeExecutorContract,
  type ExecutorCapabilities,
  type ExecutorFactory,
} from './executor-contract.js';
import { queueRow } from '../queue/contract-row.js';
import { describeWithRedis } from '../queue/support.js';

const executors: Array<{
  name: string;
  factory: ExecutorFactory;
  capabilities: ExecutorCapabilities;
}> = [
  {
    name: 'EventLoopExecutor',
    factory: (options) => new EventLoopExecutor(options),
    capabilities: { sharesMemory: true },
  },
  {
    name: 'ThreadPoolExecutor',
    factory: (options) => new ThreadPoolExecutor(options),
    capabilities: { sharesMemory: false },
  },
  {
    name: 'ProcessPoolExecutor',
    factory: (options) => new ProcessPoolExecutor(options),
    capabilities: { sharesMemory: false },
  },
];

for (const { name, factory, capabilities } of executors) {
  describeExecutorContract(name, factory, capabilities);
}

// The QueueExecutor, on a real Redis with a worker host in a process of its own (skipped, with a
// line saying how to install Redis, when there is none). Its row is in tests/queue/contract-row.ts.
describeWithRedis('QueueExecutor on Redis', () => {
  const row = queueRow();
  beforeAll(() => row.start());
  afterAll(() => row.stop());
  describeExecutorContract('QueueExecutor', (options) => row.factory(options), {
    sharesMemory: false,
    initializer: false,
    maxWorkersOption: false,
  });
});
