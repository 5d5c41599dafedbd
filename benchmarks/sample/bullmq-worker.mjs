// The raw BullMQ side of the queue section: a Worker doing the same trivial work as our host's
// `inc`, in a process of its own as a host is, at the concurrency it is given.
//
//   node benchmarks/sample/bullmq-worker.mjs <redis url> <queue> <concurrency>

import { Worker } from 'bullmq';

const [url, queue, concurrency] = process.argv.slice(2);
const worker = new Worker(queue, async (job) => job.data.x + 1, {
  connection: { url, maxRetriesPerRequest: null },
  concurrency: Number(concurrency),
});
await worker.waitUntilReady();
process.stdout.write('Ready.\n');
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
