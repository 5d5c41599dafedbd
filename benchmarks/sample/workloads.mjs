/* global AbortController, Buffer */
// The workloads, each measured once per sample on one library. A workload returns
// { value, unit, ...details }; `value` is what the runner takes the median of.
// Every result is checked, so a library that returns wrong answers fails instead of winning.

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Skip, tasks } from './libraries.mjs';
import { QUEUE_WORKLOADS } from './queue.mjs';
import { descendants, hasProc, rssKiB, threadCount } from './rss.mjs';

// The sizes, shared with the runner's report and kept equal to python_bench.py's.
const sizes = createRequire(import.meta.url)('./sizes.json');
export const {
  calls: CALLS,
  mapItems: MAP_ITEMS,
  chunksize: CHUNKSIZE,
  eventLoopCalls: EVENT_LOOP_CALLS,
  timeoutCalls: TIMEOUT_CALLS,
  transferMB: TRANSFER_MB,
} = sizes;
const CLOSE_LIMIT_MS = 10_000;
/** The six numbers of the ProcessPoolExecutor example in Python's docs, four times over. */
export const PRIMES = Array.from({ length: sizes.primesRepeat }, () => sizes.primes).flat();
const PRIME_ANSWERS = PRIMES.map((n) => n !== 1099726899285419);

/** Submits `n` calls of inc at once, awaits them all, checks them; returns the milliseconds taken. */
async function burst(pool, n) {
  const started = performance.now();
  const pending = new Array(n);
  for (let i = 0; i < n; i++) pending[i] = pool.run('inc', i);
  const results = await Promise.all(pending);
  const ms = performance.now() - started;
  for (let i = 0; i < n; i++) {
    if (results[i] !== i + 1)
      throw new Error(`call ${i} returned ${results[i]}, expected ${i + 1}`);
  }
  return ms;
}

/** As burst, each call with the library's own per-call time limit of `ms` (never reached). */
async function limitedBurst(pool, n, ms) {
  if (typeof pool.runLimited !== 'function') throw new Skip('no per-call time limit');
  const started = performance.now();
  const pending = new Array(n);
  for (let i = 0; i < n; i++) pending[i] = pool.runLimited('inc', i, ms);
  const results = await Promise.all(pending);
  const elapsed = performance.now() - started;
  for (let i = 0; i < n; i++) {
    if (results[i] !== i + 1)
      throw new Error(`call ${i} returned ${results[i]}, expected ${i + 1}`);
  }
  return elapsed;
}

/** One call per worker, each long enough that the pool must spread them over all its workers. */
async function warmEveryWorker(pool, workers) {
  await Promise.all(Array.from({ length: workers }, () => pool.run('spin', 30)));
}

async function open(adapter, workers) {
  const m = await adapter.load();
  return adapter.create(m, workers);
}

/** Runs `body` on a fresh pool, then closes it; a close that takes over CLOSE_LIMIT_MS is reported. */
async function using(adapter, workers, body) {
  const pool = await open(adapter, workers);
  let result;
  try {
    result = await body(pool);
  } finally {
    const closed = await Promise.race([
      pool.close().then(() => true),
      sleep(CLOSE_LIMIT_MS, false),
    ]);
    if (!closed && result) result.closeHung = `close() had not resolved after ${CLOSE_LIMIT_MS} ms`;
  }
  return result;
}

export const WORKLOADS = {
  // (10) The QueueExecutor (issue 19): queue.mjs. The prime job gets the same numbers and check.
  queueCalls: QUEUE_WORKLOADS.queueCalls,
  queueLatency: QUEUE_WORKLOADS.queueLatency,
  queueSleeps: QUEUE_WORKLOADS.queueSleeps,
  queuePrimes: (adapter, workers) =>
    QUEUE_WORKLOADS.queuePrimes(adapter, workers, PRIMES, checkPrimes),

  /** (1, 6) Per-call throughput: CALLS trivial calls submitted at once, all awaited. */
  calls: (adapter, workers) =>
    using(adapter, workers, async (pool) => {
      await burst(pool, CALLS / 10); // starts every worker and warms the JIT on both sides
      const ms = await burst(pool, CALLS);
      return { value: CALLS / (ms / 1000), unit: 'calls/s', ms };
    }),

  /**
   * (issue 16) CALLS trivial calls at once, each with a 60 s per-call timeout, through each
   * library's own per-call limit: ours schedule({ timeout }), piscina and tinypool an
   * AbortSignal.timeout() per call, workerpool exec().timeout().
   */
  limitedCalls: (adapter, workers) =>
    using(adapter, workers, async (pool) => {
      await limitedBurst(pool, CALLS / 10, 60_000); // starts every worker, warms the JIT
      const ms = await limitedBurst(pool, CALLS, 60_000);
      return { value: CALLS / (ms / 1000), unit: 'calls/s', ms };
    }),

  /** (2) map throughput: MAP_ITEMS trivial items in chunks of CHUNKSIZE, consumed in order. */
  map: (adapter, workers) =>
    using(adapter, workers, async (pool) => {
      if (!pool.map) throw new Skip('no map()');
      const items = Array.from({ length: MAP_ITEMS }, (_, i) => i);
      await pool.map('inc', items.slice(0, MAP_ITEMS / 50), CHUNKSIZE);
      const started = performance.now();
      const { count, last } = await pool.map('inc', items, CHUNKSIZE);
      const ms = performance.now() - started;
      if (count !== MAP_ITEMS || last !== MAP_ITEMS)
        throw new Error(`map yielded ${count} results ending in ${last}`);
      return { value: MAP_ITEMS / (ms / 1000), unit: 'items/s', ms };
    }),

  /** (3, 6) The prime job on a warm pool; the runner divides the serial time by this × workers. */
  primes: (adapter, workers) =>
    using(adapter, workers, async (pool) => {
      await warmEveryWorker(pool, workers);
      const started = performance.now();
      const answers = await Promise.all(PRIMES.map((n) => pool.run('isPrime', n)));
      const ms = performance.now() - started;
      checkPrimes(answers);
      return { value: ms / 1000, unit: 's' };
    }),

  /** (3) The same job on this thread, one number after another: the serial time. */
  async serial() {
    const started = performance.now();
    const answers = PRIMES.map((n) => tasks.isPrime(n));
    const ms = performance.now() - started;
    checkPrimes(answers);
    return { value: ms / 1000, unit: 's' };
  },

  /** (4) First-result latency: from the constructor to the first result (imports not counted). */
  async latency(adapter, workers) {
    const m = await adapter.load();
    const started = performance.now();
    const pool = adapter.create(m, workers);
    const result = await pool.run('inc', 41);
    const ms = performance.now() - started;
    await pool.close();
    if (result !== 42) throw new Error(`the first call returned ${result}`);
    return { value: ms, unit: 'ms' };
  },

  /** (5) Resident memory of this process plus every process it started, idle after one call per worker. */
  memory: (adapter, workers) =>
    using(adapter, workers, async (pool) => {
      if (!hasProc) throw new Skip('needs /proc (Linux)');
      await warmEveryWorker(pool, workers);
      await sleep(300); // let exited helpers go and late allocations land
      const parentKiB = rssKiB(process.pid);
      const children = descendants(process.pid);
      const childKiB = children.reduce((sum, pid) => sum + rssKiB(pid), 0);
      const missing = adapter.kind === 'processes' && children.length < workers;
      return {
        ...(missing
          ? { warning: `only ${children.length} of ${workers} worker processes were running` }
          : {}),
        value: (parentKiB + childKiB) / 1024,
        unit: 'MiB',
        parentMiB: parentKiB / 1024,
        childMiB: childKiB / 1024,
        children: children.length,
        threads: threadCount(process.pid),
      };
    }),

  /** (7) EVENT_LOOP_CALLS trivial async calls submitted at once, `workers` (the concurrency) at a time. */
  eventloop: (adapter, concurrency) =>
    using(adapter, concurrency, async (pool) => {
      await burst(pool, EVENT_LOOP_CALLS / 10);
      const ms = await burst(pool, EVENT_LOOP_CALLS);
      return { value: EVENT_LOOP_CALLS / (ms / 1000), unit: 'calls/s', ms };
    }),

  /**
   * (7b, issue 17) The way most users await a batch: 1,000 warm-up calls awaited one by one, then
   * EVENT_LOOP_CALLS submitted at once and one Promise.all over them all.
   */
  eventloopAll: (adapter, concurrency) =>
    using(adapter, concurrency, async (pool) => {
      for (let i = 0; i < 1000; i++) await pool.run('inc', i);
      const ms = await burst(pool, EVENT_LOOP_CALLS);
      return { value: EVENT_LOOP_CALLS / (ms / 1000), unit: 'calls/s', ms };
    }),

  /**
   * (9, issue 17) Two first results on a fresh pool: from the constructor to two calls settled,
   * submitted at once (imports not counted). Run under plain node and under `--import tsx`.
   */
  async firstResults(adapter, workers) {
    const m = await adapter.load();
    const started = performance.now();
    const pool = adapter.create(m, workers);
    const results = await Promise.all([pool.run('inc', 41), pool.run('inc', 1)]);
    const ms = performance.now() - started;
    await pool.close();
    if (results[0] !== 42 || results[1] !== 2)
      throw new Error(`the first calls returned ${results}`);
    return { value: ms, unit: 'ms' };
  },

  /**
   * (issue 11) What a timeout that never fires costs: TIMEOUT_CALLS calls through
   * schedule(fn, { args, timeout }) against as many through submit, alternated in this process,
   * both submitted at once (the value) and awaited one after another (where no hand-ahead is lost,
   * so only the timer's own cost shows). Third, at once again, calls with a signal that never
   * aborts and no timeout: what any limited call costs in a burst, with no timer at all.
   */
  timeouts: (adapter, workers) =>
    using(adapter, workers, async (pool) => {
      const { executor } = pool;
      if (typeof executor?.schedule !== 'function') {
        throw new Skip('schedule() is not there yet (issue 11)');
      }
      const fn = adapter.kind === 'eventloop' ? async (x) => x + 1 : tasks.inc;
      const submit = (i) => executor.submit(fn, i);
      const schedule = (i) => executor.schedule(fn, { args: [i], timeout: 60_000 });
      const neverAborts = new AbortController().signal;
      const signalled = (i) => executor.schedule(fn, { args: [i], signal: neverAborts });
      const burst = (call) => () =>
        Promise.all(Array.from({ length: TIMEOUT_CALLS }, (_, i) => call(i)));
      const oneByOne = (call) => async () => {
        for (let i = 0; i < TIMEOUT_CALLS; i++) await call(i);
      };
      const atOnce = await alternate(burst(submit), burst(schedule));
      const sequential = await alternate(oneByOne(submit), oneByOne(schedule));
      const signalOnly = await alternate(burst(submit), burst(signalled));
      return {
        value: atOnce.ratio,
        unit: '× submit',
        submitMs: atOnce.aMs,
        scheduleMs: atOnce.bMs,
        sequentialRatio: sequential.ratio,
        sequentialSubmitMs: sequential.aMs,
        sequentialScheduleMs: sequential.bMs,
        signalRatio: signalOnly.ratio,
      };
    }),

  /**
   * (issue 18) A TRANSFER_MB Buffer to a worker and back: copied (submit), and moved both ways
   * (schedule with `transfer`, the function returning transfer(b, [b.buffer])), in turns. The value
   * is the moved round trip; a process pool accepts `transfer` and copies, so both are copies there.
   * The buffers are filled before the clock starts.
   */
  transfer: (adapter, workers) =>
    using(adapter, workers, async (pool) => {
      const { executor } = pool;
      if (typeof executor?.schedule !== 'function') throw new Skip('ours only');
      const bytes = TRANSFER_MB * 1024 * 1024;
      const echo = (b) => b;
      const moveBack = async (b) => {
        const { transfer } = await import('concurrent-futures');
        return transfer(b, [b.buffer]);
      };
      const check = (out) => {
        if (!Buffer.isBuffer(out) || out.length !== bytes || out[bytes - 1] !== 7)
          throw new Error('the buffer did not come back whole, as a Buffer');
      };
      const copied = async () => {
        const b = Buffer.alloc(bytes, 7);
        const started = performance.now();
        check(await executor.submit(echo, b));
        return performance.now() - started;
      };
      const moved = async () => {
        const b = Buffer.alloc(bytes, 7);
        const started = performance.now();
        check(await executor.schedule(moveBack, { args: [b], transfer: [b.buffer] }));
        return performance.now() - started;
      };
      await copied(); // starts a worker, compiles both functions
      await moved();
      const times = { copied: [], moved: [] };
      for (let turn = 0; turn < 6; turn++) {
        for (const key of turn % 2 ? ['copied', 'moved'] : ['moved', 'copied'])
          times[key].push(await (key === 'copied' ? copied : moved)());
      }
      const movedMs = median(times.moved);
      const copiedMs = median(times.copied);
      return { value: movedMs, unit: 'ms', copiedMs, ratio: copiedMs / movedMs };
    }),
};

/**
 * Times `a` and `b` in turns (which goes first alternates). The first `warmups` turns are not
 * counted: a few milliseconds per turn is too little for the JIT to have settled on either side, and
 * with only two warm-ups the event loop's ratio swung between 1.0 and 1.3 from run to run.
 */
async function alternate(a, b, turns = 30, warmups = 10) {
  const times = { a: [], b: [] };
  for (let turn = 0; turn < turns; turn++) {
    for (const key of turn % 2 ? ['a', 'b'] : ['b', 'a']) {
      const started = performance.now();
      await (key === 'a' ? a : b)();
      if (turn >= warmups) times[key].push(performance.now() - started);
    }
  }
  const aMs = median(times.a);
  const bMs = median(times.b);
  return { aMs, bMs, ratio: bMs / aMs };
}

function checkPrimes(answers) {
  answers.forEach((answer, i) => {
    if (answer !== PRIME_ANSWERS[i]) throw new Error(`isPrime(${PRIMES[i]}) returned ${answer}`);
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
