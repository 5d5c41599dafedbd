// The `concurrent-futures/queue` entry: the QueueExecutor and the worker host, on BullMQ and
// Redis. Kept apart from the package root so that users of the local pools never load a queue
// client; importing it without bullmq and ioredis installed throws an error saying what to install.

export {
  QueueExecutor,
  type QueueExecutorOptions,
  type QueueExecutorStats,
} from './queue-executor.js';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './worker-host.js';
