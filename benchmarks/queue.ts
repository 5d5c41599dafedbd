// The QueueExecutor's figures (issue 19), side by side in one run:
//   1. 10,000 trivial calls: QueueExecutor + one worker host, against raw BullMQ doing the same work
//      (addBulk + a Worker with the same concurrency in a process of its own + QueueEvents).
//      Target: >= 0.8x raw BullMQ.
//   2. The latency of one call on an idle system (median of sequential calls).
//   3. Sleep-bound calls (50 ms each) across 1, 2 and 4 worker hosts. Target: >= 0.9x linear.
//   4. The prime job on 2 hosts (process pools of 1) against serial. Target: >= 1.7x serial.
//
//   npm run bench:queue                        (node --import tsx benchmarks/queue.ts)
//   The same figures are section 10 of `npm run bench` (`--only queue`), side by side in rounds.
//   npm run bench:queue -- --quick             fewer calls, to check that it works
//
// It starts its own redis-server (REDIS_URL: use that server) and its hosts as separate processes.

import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fromModule } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import { HOW_TO_GET_REDIS, startHost, startRedis, type Host } from '../examples/cluster-launch.js';
import { PRIMES, isPrime } from '../examples/primes.js';
import type * as Tasks from '../examples/cluster-tasks.js';

const tasks = new URL('../examples/cluster-tasks.ts', import.meta.url);
const nothing = fromModule<typeof Tasks.nothing>(tasks, 'nothing');
const sleepFor = fromModule<typeof Tasks.sleepFor>(tasks, 'sleepFor');
const isPrimeOnHost = fromModule<typeof Tasks.isPrimeOnHost>(tasks, 'isPrimeOnHost');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    'raw-worker': { type: 'string' }, // internal: this file as the raw BullMQ worker process
    concurrency: { type: 'string' },
  },
  allowPositionals: true,
});

const CONCURRENCY = Number(values.concurrency ?? 16);

if (values['raw-worker'] !== undefined) {
  await rawWorker(values['raw-worker'], process.argv[process.argv.length - 1]!);
} else {
  await main();
}

/** The raw BullMQ side's worker: the same trivial work, in a process of its own. */
async function rawWorker(queue: string, url: string): Promise<void> {
  const { Worker } = await import('bullmq');
  const worker = new Worker(queue, async () => 0, {
    connection: { url, maxRetriesPerRequest: null },
    concurrency: CONCURRENCY,
  });
  await worker.waitUntilReady();
  process.stdout.write('Ready.\n');
  process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

async function main(): Promise<void> {
  const quick = values.quick === true;
  const redis = await startRedis();
  if (redis === undefined) {
    console.log(HOW_TO_GET_REDIS);
    return;
  }
  const rows: string[][] = [];
  try {
    const calls = quick ? 1000 : 10_000;

    // 1. Trivial calls, against raw BullMQ.
    const rawMs = await rawBullmq(redis.url, calls);
    const queueMs = await withHosts(
      redis.url,
      1,
      ['--pool', 'event-loop', '--workers', String(CONCURRENCY)],
      async (queue) => {
        await using executor = new QueueExecutor({ connection: redis.url, queue });
        await Promise.all(Array.from({ length: 100 }, () => executor.submit(nothing))); // warm-up
        const started = performance.now();
        await Promise.all(Array.from({ length: calls }, () => executor.submit(nothing)));
        return performance.now() - started;
      },
    );
    rows.push([`${calls} trivial calls, raw BullMQ`, ms(rawMs), '']);
    rows.push([
      `${calls} trivial calls, QueueExecutor`,
      ms(queueMs),
      `${(rawMs / queueMs).toFixed(2)}x raw BullMQ (target >= 0.8x)`,
    ]);

    // 2. One call's latency on an idle system.
    const latencies = await withHosts(redis.url, 1, ['--pool', 'event-loop'], async (queue) => {
      await using executor = new QueueExecutor({ connection: redis.url, queue });
      await executor.submit(nothing);
      const samples: number[] = [];
      for (let i = 0; i < (quick ? 20 : 200); i++) {
        const started = performance.now();
        await executor.submit(nothing);
        samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b);
    });
    rows.push([
      'one call, idle (median)',
      ms(latencies[latencies.length >> 1]!),
      `p90 ${ms(latencies[Math.floor(latencies.length * 0.9)]!)}`,
    ]);

    // 3. 50 ms sleeps on 1, 2 and 4 hosts of 4 calls at once each.
    const sleeps = quick ? 40 : 160;
    let oneHost = 0;
    for (const hostCount of [1, 2, 4]) {
      const elapsed = await withHosts(
        redis.url,
        hostCount,
        ['--pool', 'event-loop', '--workers', '4'],
        async (queue) => {
          await using executor = new QueueExecutor({ connection: redis.url, queue });
          await Promise.all(
            Array.from({ length: 4 * hostCount }, () => executor.submit(sleepFor, 1)),
          );
          const started = performance.now();
          await Promise.all(Array.from({ length: sleeps }, () => executor.submit(sleepFor, 50)));
          return performance.now() - started;
        },
      );
      if (hostCount === 1) oneHost = elapsed;
      const scaling = oneHost / (elapsed * hostCount);
      rows.push([
        `${sleeps} calls of 50 ms, ${hostCount} host(s) x 4`,
        ms(elapsed),
        hostCount === 1 ? '' : `${scaling.toFixed(2)}x linear (target >= 0.9x)`,
      ]);
    }

    // 4. The prime job on 2 hosts.
    const numbers = Array.from({ length: quick ? 6 : 24 }, (_, i) => PRIMES[i % PRIMES.length]!);
    let started = performance.now();
    numbers.forEach(isPrime);
    const serialMs = performance.now() - started;
    const primeMs = await withHosts(
      redis.url,
      2,
      ['--pool', 'process', '--workers', '1'],
      async (queue) => {
        await using executor = new QueueExecutor({ connection: redis.url, queue });
        await Promise.all([executor.submit(isPrimeOnHost, 2), executor.submit(isPrimeOnHost, 3)]); // warm-up
        started = performance.now();
        for await (const answer of executor.map(isPrimeOnHost, numbers)) void answer;
        return performance.now() - started;
      },
    );
    rows.push([`prime job, ${numbers.length} numbers, serial`, ms(serialMs), '']);
    rows.push([
      `prime job, 2 hosts x 1 process`,
      ms(primeMs),
      `${(serialMs / primeMs).toFixed(2)}x serial (target >= 1.7x)`,
    ]);
  } finally {
    await redis.stop();
  }
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    );
}

async function withHosts<T>(
  url: string,
  count: number,
  extra: string[],
  body: (queue: string) => Promise<T>,
): Promise<T> {
  const queue = `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const hosts: Host[] = await Promise.all(
    Array.from({ length: count }, (_, i) => startHost(`host-${i + 1}`, url, queue, extra)),
  );
  try {
    return await body(queue);
  } finally {
    await Promise.all(hosts.map((host) => host.stop()));
  }
}

async function rawBullmq(url: string, calls: number): Promise<number> {
  const { Queue, QueueEvents } = await import('bullmq');
  const queueName = `bench-raw-${process.pid}`;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL(import.meta.url).pathname,
      '--raw-worker',
      queueName,
      '--concurrency',
      String(CONCURRENCY),
      url,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('Ready.') && resolve()),
  );
  const queue = new Queue(queueName, { connection: { url } });
  const events = new QueueEvents(queueName, { connection: { url } });
  await events.waitUntilReady();
  try {
    let completed = 0;
    let done!: () => void;
    const allDone = new Promise<void>((resolve) => (done = resolve));
    events.on('completed', () => {
      if (++completed === calls) done();
    });
    const started = performance.now();
    await queue.addBulk(
      Array.from({ length: calls }, () => ({
        name: 'call',
        data: {},
        opts: { removeOnComplete: { age: 3600 } },
      })),
    );
    await allDone;
    return performance.now() - started;
  } finally {
    await Promise.all([queue.close(), events.close()]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
}
