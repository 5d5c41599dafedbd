// Runs the one executor behaviour suite against every executor. To add an executor, add a row:
// its name, a factory taking the common options, and what it can do beyond the contract.

import { EventLoopExecutor, ProcessPoolExecutor, ThreadPoolExecutor } from 'concurrent-futures';
import {
  describeExecutorContract,
  type ExecutorCapabilities,
  type ExecutorFactory,
} from './executor-contract.js';

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
