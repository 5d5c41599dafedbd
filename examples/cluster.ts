// The prime job and the URL job of Python's concurrent.futures documentation, beyond one machine:
// through a QueueExecutor, on BullMQ and Redis, to two worker hosts. Here the "machines" are two
// processes on this one (each with its own process pool); on real machines you would run
// `npx concurrent-futures worker --redis URL --queue cluster-example --allow examples/cluster-tasks.ts`
// on each of them instead.
//
//   npm run example:cluster            (or: node --import tsx examples/cluster.ts [--count N] [--workers N])
//
// It starts a redis-server of its own if one is installed (REDIS_URL: use that server instead).

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { asCompleted, fromModule } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import { HOW_TO_GET_REDIS, startHost, startRedis } from './cluster-launch.js';
import { PRIMES, isPrime } from './primes.js';
import { startPageServer } from './support/page-server.js';
import { seconds } from './support/format.js';
import type * as Tasks from './cluster-tasks.js';

const tasks = new URL('./cluster-tasks.ts', import.meta.url);
const isPrimeOnHost = fromModule<typeof Tasks.isPrimeOnHost>(tasks, 'isPrimeOnHost');
const loadUrlOnHost = fromModule<typeof Tasks.loadUrlOnHost>(tasks, 'loadUrlOnHost');

const { values } = parseArgs({
  options: { count: { type: 'string' }, workers: { type: 'string' } },
});
const count = Number(values.count ?? PRIMES.length * 4);
// Two hosts on one machine share its cores: each gets half.
const workers = Number(values.workers ?? Math.max(1, Math.floor(availableParallelism() / 2)));

const redis = await startRedis();
if (redis === undefined) {
  console.log(HOW_TO_GET_REDIS);
  process.exit(0);
}
const queue = `cluster-example-${process.pid}`;
console.log(`== Redis at ${redis.url}; starting two worker hosts (process pools of ${workers}) ==`);
const hosts = await Promise.all(
  ['host-1', 'host-2'].map((name) =>
    startHost(name, redis.url, queue, ['--pool', 'process', '--workers', String(workers)]),
  ),
);
const executor = new QueueExecutor({ connection: redis.url, queue });
try {
  const numbers = Array.from({ length: count }, (_, i) => PRIMES[i % PRIMES.length]!);
  console.log(`\n== Primes: ${count} numbers ==`);
  let started = performance.now();
  numbers.forEach(isPrime);
  const serialMs = performance.now() - started;
  console.log(`serial, on this thread: ${seconds(serialMs)}`);

  const ranOn = new Map<string, number>();
  started = performance.now();
  let index = 0;
  for await (const [prime, host] of executor.map(isPrimeOnHost, numbers)) {
    console.log(`${numbers[index++]} is prime: ${prime} (${host})`);
    ranOn.set(host, (ranOn.get(host) ?? 0) + 1);
  }
  const queueMs = performance.now() - started;
  console.log(
    `QueueExecutor, 2 hosts: ${seconds(queueMs)}, ${(serialMs / queueMs).toFixed(2)}x serial; ` +
      [...ranOn].map(([host, n]) => `${host} ran ${n}`).join(', '),
  );

  console.log('\n== URLs: fetched by the hosts from a local page server ==');
  const server = await startPageServer({ slowMs: 1500 });
  try {
    const pages = server.pages.filter((page) => page.expect !== 'slow');
    const futures = new Map(
      pages.map((page) => [
        executor.schedule(loadUrlOnHost, { args: [page.url, 60_000], timeout: 5000 }),
        page.url,
      ]),
    );
    for await (const future of asCompleted(futures.keys())) {
      const url = futures.get(future)!;
      const error = await future.exception();
      if (error !== undefined) console.log(`${url} generated an exception: ${String(error)}`);
      else {
        const [bytes, host] = await future.result();
        console.log(`${url} page is ${bytes} bytes (${host})`);
      }
    }
  } finally {
    await server.close();
  }
} finally {
  await executor.shutdown();
  await Promise.all(hosts.map((host) => host.stop()));
  await redis.stop();
}
