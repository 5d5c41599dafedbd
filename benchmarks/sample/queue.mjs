// The QueueExecutor's workloads (issue 19), each a sample like the others: the runner starts one
// redis-server for the section and passes its URL in BENCH_REDIS_URL; a sample starts its worker
// hosts (`concurrent-futures worker`, plain node) or raw BullMQ's worker as child processes of its
// own, in its process group, so the runner ends whatever a sample leaves behind.

import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, URL } from 'node:url';
import { Skip } from './libraries.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/concurrent-futures.js', import.meta.url));
const RAW_WORKER = fileURLToPath(new URL('./bullmq-worker.mjs', import.meta.url));
const TASKS = new URL('../workers/queue-tasks.mjs', import.meta.url);
const TASKS_ALLOWED = 'benchmarks/workers/queue-tasks.mjs';

export const QUEUE_CALLS = 10_000;
export const QUEUE_SLEEPS = 160;
export const SLEEP_MS = 50;
/** Calls a sleep-bound host takes at once. */
export const SLEEP_HOST_WORKERS = 4;
const LATENCY_CALLS = 200;

function redisUrl() {
  const url = process.env.BENCH_REDIS_URL;
  if (!url)
    throw new Skip('no redis-server (the runner starts one when redis-server is installed)');
  return url;
}

function queueName(what) {
  return `bench-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Starts a child that prints "Ready." once it takes jobs; resolves with a stop(). */
function startChild(args) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (!output.includes('Ready.')) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      child.off('exit', onExit);
      resolve({
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      });
    };
    const onExit = (code) =>
      reject(new Error(`worker exited (${code}) before it was ready: ${output}`));
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('exit', onExit);
  });
}

async function withHosts(count, options, body) {
  const url = redisUrl();
  const queue = queueName('queue');
  const hosts = await Promise.all(
    Array.from({ length: count }, () =>
      startChild([
        BIN,
        'worker',
        '--redis',
        url,
        '--queue',
        queue,
        '--allow',
        TASKS_ALLOWED,
        ...options,
      ]),
    ),
  );
  const { QueueExecutor } = await import('concurrent-futures/queue');
  const { fromModule } = await import('concurrent-futures');
  const executor = new QueueExecutor({ connection: url, queue, projectRoot: ROOT });
  const task = (name) => fromModule(TASKS, name);
  try {
    return await body(executor, task);
  } finally {
    await executor.shutdown();
    await Promise.all(hosts.map((host) => host.stop()));
  }
}

function checkIncs(results, from) {
  results.forEach((result, i) => {
    if (result !== from + i + 1)
      throw new Error(`call ${i} returned ${result}, expected ${from + i + 1}`);
  });
}

async function ourCalls(concurrency) {
  return withHosts(
    1,
    ['--pool', 'event-loop', '--workers', String(concurrency)],
    async (executor, task) => {
      const inc = task('inc');
      const burst = async (from, n) => {
        const futures = new Array(n);
        for (let i = 0; i < n; i++) futures[i] = executor.submit(inc, from + i);
        checkIncs(await Promise.all(futures), from);
      };
      await burst(0, 100); // connects, opens the events stream, warms both sides
      const started = performance.now();
      await burst(0, QUEUE_CALLS);
      const ms = performance.now() - started;
      return { value: QUEUE_CALLS / (ms / 1000), unit: 'calls/s', ms };
    },
  );
}

/** Raw BullMQ doing the same: addBulk, a Worker of the same concurrency, results from QueueEvents. */
async function rawCalls(concurrency) {
  const url = redisUrl();
  const name = queueName('raw');
  const worker = await startChild([RAW_WORKER, url, name, String(concurrency)]);
  const { Queue, QueueEvents } = await import('bullmq');
  const queue = new Queue(name, { connection: { url } });
  // From the stream's start (a fresh queue's stream is empty): an event can come before the first read.
  const events = new QueueEvents(name, { connection: { url }, lastEventId: '0-0' });
  await events.waitUntilReady();
  let batch = 0;
  const burst = async (from, n) => {
    const tag = `${++batch}-`;
    const results = new Array(n);
    let left = n;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    const onCompleted = ({ jobId, returnvalue }) => {
      if (!jobId.startsWith(tag)) return;
      results[Number(jobId.slice(tag.length))] = Number(returnvalue);
      if (--left === 0) done();
    };
    events.on('completed', onCompleted);
    await queue.addBulk(
      Array.from({ length: n }, (_, i) => ({
        name: 'call',
        data: { x: from + i },
        opts: { jobId: `${tag}${i}`, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } },
      })),
    );
    await finished;
    events.off('completed', onCompleted);
    checkIncs(results, from);
  };
  try {
    await burst(0, 100);
    const started = performance.now();
    await burst(0, QUEUE_CALLS);
    const ms = performance.now() - started;
    return { value: QUEUE_CALLS / (ms / 1000), unit: 'calls/s', ms };
  } finally {
    await Promise.all([queue.close(), events.close()]);
    await worker.stop();
  }
}

export const QUEUE_WORKLOADS = {
  /** 10,000 trivial calls at once through one host of `workers` concurrency, against raw BullMQ. */
  queueCalls: (adapter, workers) =>
    adapter.queue === 'raw' ? rawCalls(workers) : ourCalls(workers),

  /** One call on an idle system: the median of sequential calls, each awaited before the next. */
  queueLatency: (adapter, workers) =>
    withHosts(1, ['--pool', 'event-loop', '--workers', String(workers)], async (executor, task) => {
      const inc = task('inc');
      checkIncs([await executor.submit(inc, 0)], 0);
      const samples = [];
      for (let i = 0; i < LATENCY_CALLS; i++) {
        const started = performance.now();
        const result = await executor.submit(inc, i);
        samples.push(performance.now() - started);
        checkIncs([result], i);
      }
      samples.sort((a, b) => a - b);
      const at = (q) => samples[Math.min(samples.length - 1, Math.floor(samples.length * q))];
      return { value: at(0.5), unit: 'ms', p90: at(0.9) };
    }),

  /** QUEUE_SLEEPS calls of SLEEP_MS on `workers` hosts taking SLEEP_HOST_WORKERS calls each. */
  queueSleeps: (adapter, workers) =>
    withHosts(
      workers,
      ['--pool', 'event-loop', '--workers', String(SLEEP_HOST_WORKERS)],
      async (executor, task) => {
        const sleepFor = task('sleepFor');
        await Promise.all(
          Array.from({ length: SLEEP_HOST_WORKERS * workers }, () => executor.submit(sleepFor, 1)),
        );
        const started = performance.now();
        const results = await Promise.all(
          Array.from({ length: QUEUE_SLEEPS }, () => executor.submit(sleepFor, SLEEP_MS)),
        );
        const ms = performance.now() - started;
        if (results.some((r) => r !== SLEEP_MS)) throw new Error('a sleep returned a wrong value');
        return { value: QUEUE_SLEEPS / (ms / 1000), unit: 'calls/s', ms };
      },
    ),

  /** The prime job (24 numbers) on `workers` hosts of one process each; the runner divides the serial time by it. */
  queuePrimes: (adapter, workers, primes, checkPrimes) =>
    withHosts(workers, ['--pool', 'process', '--workers', '1'], async (executor, task) => {
      const isPrime = task('isPrime');
      // Warm-up: a call per host that keeps it busy, so both hosts have started their process.
      await Promise.all(
        Array.from({ length: workers * 2 }, (_, i) => executor.submit(isPrime, primes[i])),
      );
      const started = performance.now();
      const answers = [];
      for await (const answer of executor.map(isPrime, primes)) answers.push(answer);
      const ms = performance.now() - started;
      checkPrimes(answers);
      return { value: ms / 1000, unit: 's' };
    }),
};
