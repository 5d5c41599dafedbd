// executor.stats() and executor.onIdle() on real threads, processes and the event loop: exact
// counters after a known mix of calls (returned, thrown, cancelled, unable to travel, timed out),
// and run and wait times as far as they can be checked without timing the test itself.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EventLoopExecutor,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  type ExecutorStats,
} from 'concurrent-futures';
import { until } from '../thread/helpers.js';

type AnyExecutor = ThreadPoolExecutor | ProcessPoolExecutor | EventLoopExecutor;

const kinds: Array<[string, (maxWorkers: number) => AnyExecutor]> = [
  ['ThreadPoolExecutor', (maxWorkers) => new ThreadPoolExecutor({ maxWorkers })],
  ['ProcessPoolExecutor', (maxWorkers) => new ProcessPoolExecutor({ maxWorkers })],
  ['EventLoopExecutor', (maxWorkers) => new EventLoopExecutor({ maxWorkers })],
];

/** Runs anywhere (a thread, a child, the event loop): marks `started`, then waits for `release`. */
const hold = async (started: string, release: string): Promise<string> => {
  const fs = await import('node:fs');
  fs.writeFileSync(started, '');
  while (!fs.existsSync(release)) await new Promise((resolve) => setTimeout(resolve, 5));
  return 'released';
};
const ok = (x: number): number => x * 2;
const fail = (x: number): never => {
  throw new Error(`failing ${x}`);
};
const sleepMs = async (ms: number): Promise<number> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
};
const spin = (ms: number): number => {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return ms;
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cf-stats-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function calls(stats: ExecutorStats): ExecutorStats['calls'] {
  return stats.calls;
}

describe.each(kinds)('%s', (_name, make) => {
  test('a fresh executor: zeros everywhere, and onIdle() resolves at once', async () => {
    const executor = make(2);
    const stats = executor.stats();
    expect(stats.calls).toEqual({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
    expect(stats.workers.busy).toBe(0);
    expect(stats.utilization).toBe(0);
    expect(stats.runTime).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
    expect(stats.waitTime.count).toBe(0);
    await executor.onIdle();
    await executor.shutdown();
  });

  test('exact counters after a mix: returned, thrown, cancelled, while held and after', async () => {
    const executor = make(1);
    const started = join(dir, 'started');
    const release = join(dir, 'release');
    const held = executor.submit(hold, started, release);
    const oks = [1, 2, 3].map((x) => executor.submit(ok, x));
    const fails = [4, 5].map((x) => executor.submit(fail, x));
    const doomed = [6, 7, 8, 9].map((x) => executor.submit(ok, x));
    await until(() => existsSync(started), 'the holding call started');

    // The last four wait in the queue (one worker, at most one call handed ahead): cancellable.
    for (const future of doomed) expect(future.cancel()).toBe(true);
    const during = executor.stats();
    expect(during.calls.cancelled).toBe(4);
    expect(during.calls.completed).toBe(0);
    expect(during.calls.failed).toBe(0);
    expect(during.calls.running).toBeGreaterThanOrEqual(1);
    expect(during.calls.queued + during.calls.running).toBe(6);
    expect(during.workers.busy).toBe(1);

    let idle = false;
    const idlePromise = executor.onIdle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(idle).toBe(false); // a call is held: not idle

    writeFileSync(release, '');
    await idlePromise;
    // onIdle() resolved only once every call had settled.
    for (const future of [held, ...oks, ...fails, ...doomed]) expect(future.done()).toBe(true);
    expect(await held).toBe('released');
    const after = executor.stats();
    expect(after.calls).toEqual({ queued: 0, running: 0, completed: 4, failed: 2, cancelled: 4 });
    expect(after.workers.busy).toBe(0);
    expect(after.utilization).toBeGreaterThan(0);
    expect(after.utilization).toBeLessThanOrEqual(1);
    await executor.shutdown();
    expect(calls(executor.stats())).toEqual(after.calls); // shutdown changes no count
  });

  test('cancelFutures on shutdown counts every queued call as cancelled', async () => {
    const executor = make(1);
    const started = join(dir, 'started');
    const release = join(dir, 'release');
    executor.submit(hold, started, release);
    for (let i = 0; i < 10; i++) executor.submit(ok, i);
    await until(() => existsSync(started), 'the holding call started');
    const shutdown = executor.shutdown({ cancelFutures: true });
    writeFileSync(release, '');
    await shutdown;
    const { calls: counted } = executor.stats();
    expect(counted.queued + counted.running).toBe(0);
    expect(counted.completed + counted.cancelled).toBe(11);
    // Besides the held call, at most the one handed ahead to the worker ran.
    expect(counted.cancelled).toBeGreaterThanOrEqual(9);
  });

  test('a schedule() whose signal aborted already counts as cancelled, and never runs', async () => {
    const executor = make(1);
    expect(await executor.submit(ok, 1)).toBe(2);
    const aborted = AbortSignal.abort(new Error('aborted before schedule()'));
    const plain = executor.schedule(ok, { args: [2], signal: aborted });
    const timed = executor.schedule(ok, { args: [3], signal: aborted, timeout: 60_000 });
    expect(plain.cancelled()).toBe(true);
    expect(timed.cancelled()).toBe(true);
    await executor.shutdown();
    expect(calls(executor.stats())).toEqual({
      queued: 0,
      running: 0,
      completed: 1,
      failed: 0,
      cancelled: 2,
    });
  });

  test('read in a done callback, the call that just settled is counted as what it became', async () => {
    const executor = make(1);
    const seen: Array<ExecutorStats['calls']> = [];
    const record = (): void => {
      seen.push(executor.stats().calls);
    };
    const returned = executor.submit(ok, 1);
    returned.addDoneCallback(record);
    await returned;
    const thrown = executor.submit(fail, 2);
    thrown.addDoneCallback(record);
    await thrown.exception();
    const timedOut = executor.schedule(sleepMs, { args: [2_000], timeout: 50 });
    timedOut.addDoneCallback(record);
    await timedOut.exception();
    const none = { queued: 0, running: 0, cancelled: 0 };
    expect(seen).toEqual([
      { ...none, completed: 1, failed: 0 },
      { ...none, completed: 1, failed: 1 },
      { ...none, completed: 1, failed: 2 },
    ]);
    await executor.shutdown();
  });

  test('run times: percentiles never below what the calls surely took', async () => {
    const executor = make(2);
    // The event loop times one call in 16: 32 calls give it two samples.
    const futures = Array.from({ length: 32 }, () =>
      executor instanceof EventLoopExecutor
        ? executor.submit(sleepMs, 30)
        : executor.submit(spin, 30),
    );
    await Promise.all(futures);
    const { runTime, waitTime } = executor.stats();
    expect(runTime.count).toBe(executor instanceof EventLoopExecutor ? 2 : 32);
    expect(runTime.p50).toBeGreaterThanOrEqual(25);
    expect(runTime.p99).toBeGreaterThanOrEqual(runTime.p50);
    expect(runTime.max).toBeGreaterThanOrEqual(runTime.p99);
    expect(waitTime.count).toBe(executor instanceof EventLoopExecutor ? 2 : 32);
    // 32 calls of 30 ms on 2 workers: the last ones waited for at least 14 calls before them.
    expect(waitTime.max).toBeGreaterThanOrEqual(executor instanceof EventLoopExecutor ? 0 : 300);
    await executor.shutdown();
  });
});

describe.each(kinds.slice(0, 2))('%s: a slow call among fast ones', (_name, make) => {
  test('counts as itself, not as its batch average', async () => {
    const executor = make(1);
    // Warm up: the function is known fast, so its calls travel to the worker in large batches.
    await Promise.all(Array.from({ length: 2000 }, () => executor.submit(spin, 0)));
    const before = executor.stats().runTime.count;
    const burst = Array.from({ length: 200 }, (_, i) => executor.submit(spin, i === 150 ? 60 : 0));
    await Promise.all(burst);
    const { runTime } = executor.stats();
    expect(runTime.count - before).toBe(200);
    // Averaged with its batch, a 60 ms call would show as well under a millisecond.
    expect(runTime.max).toBeGreaterThanOrEqual(50);
    await executor.shutdown();
  });
});

describe('failures that never reach a call body count as failed', () => {
  test('threads: arguments that cannot travel, and a timeout', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1, endGraceMs: 10 });
    const unclonable = executor.submit(
      (f: unknown) => f,
      () => 1,
    );
    await expect(unclonable).rejects.toThrow(/could not be sent/);
    const timedOut = executor.schedule(spin, { args: [2000], timeout: 20 });
    await expect(timedOut).rejects.toThrow(/timeout/);
    await executor.submit(ok, 1);
    await executor.onIdle();
    expect(executor.stats().calls).toEqual({
      queued: 0,
      running: 0,
      completed: 1,
      failed: 2,
      cancelled: 0,
    });
    await executor.shutdown();
  });

  test('processes: killWorkers() fails the running call and cancels the queued ones', async () => {
    const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const started = join(dir, 'started');
    const held = executor.submit(hold, started, join(dir, 'never'));
    for (let i = 0; i < 5; i++) executor.submit(ok, i);
    await until(() => existsSync(started), 'the holding call started');
    await executor.killWorkers();
    await expect(held).rejects.toThrow(/killWorkers/);
    const { calls: counted, workers } = executor.stats();
    expect(counted.queued + counted.running).toBe(0);
    expect(counted.completed).toBe(0);
    expect(counted.failed + counted.cancelled).toBe(6);
    expect(counted.failed).toBeGreaterThanOrEqual(1);
    expect(workers.alive).toBe(0);
  });

  test('the event loop: a timed-out call', async () => {
    const executor = new EventLoopExecutor({ maxWorkers: 1 });
    await expect(executor.schedule(sleepMs, { args: [300], timeout: 20 })).rejects.toThrow(
      /timeout/,
    );
    await executor.submit(ok, 1);
    expect(executor.stats().calls).toEqual({
      queued: 0,
      running: 0,
      completed: 1,
      failed: 1,
      cancelled: 0,
    });
    await executor.shutdown();
  });
});
