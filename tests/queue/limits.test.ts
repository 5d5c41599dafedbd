// Ending remote calls: schedule({ timeout }) counts from the call's start on its host, and
// schedule({ signal }) ends a call wherever it is (still here, waiting in Redis, running on a host).

import { mkdtempSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TimeoutError, fromModule } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import {
  describeWithRedis,
  sleep,
  startHost,
  startRedis,
  tasksModule,
  uniqueQueue,
  until,
  type Host,
  type RedisServer,
} from './support.js';

const sleepFor = fromModule<(ms: number, value: string) => string>(tasksModule, 'sleep');
const spinForever = fromModule<(started: string) => never>(tasksModule, 'spinForever');
const untilAborted = fromModule<(marker: string, started: string) => string>(
  tasksModule,
  'untilAborted',
);
const markThenAwaitGate = fromModule<(marker: string, gate: string, value: string) => string>(
  tasksModule,
  'markThenAwaitGate',
);

describeWithRedis('QueueExecutor: timeouts and signals', () => {
  let redis: RedisServer;
  let processHost: Host;
  let loopHost: Host;
  let dir: string;
  const processQueue = uniqueQueue('limits-process');
  const loopQueue = uniqueQueue('limits-loop');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cf-queue-limits-'));
    redis = await startRedis();
    [processHost, loopHost] = await Promise.all([
      startHost({
        redis: redis.url,
        queue: processQueue,
        pool: 'process',
        workers: 1,
        endGraceMs: 200,
      }),
      startHost({ redis: redis.url, queue: loopQueue, pool: 'event-loop', workers: 1 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([processHost?.stop(), loopHost?.stop()]);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a timeout ends a call that ignores every signal, and the host goes on', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue: processQueue });
    const future = executor.schedule(spinForever, { args: [join(dir, 'spin')], timeout: 300 });
    const error = await future.exception();
    expect(error).toBeInstanceOf(TimeoutError);
    expect(String(error)).toMatch(/300 ms/);
    expect(await executor.submit(sleepFor, 0, 'after')).toBe('after');
  });

  test('a call that ends its child breaks only itself: the host replaces its pool and goes on', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue: processQueue });
    const exitProcess = fromModule<(code: number) => never>(tasksModule, 'exitProcess');
    const error = (await executor.submit(exitProcess, 3).exception()) as Error;
    expect(error.name).toBe('BrokenProcessPool');
    expect(error.message).toMatch(/which broke the pool; the host replaced it and goes on/);
    // Before, the host kept its broken pool, and failed every later call of every producer.
    expect(await executor.submit(sleepFor, 0, 'after')).toBe('after');
    expect(await executor.submit(sleepFor, 0, 'and after')).toBe('and after');
  });

  test('the timeout counts from the start on the host, not from the submit', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue: processQueue });
    // The host runs one call at a time: the second waits ~1000 ms in Redis, twice its timeout,
    // then runs at once (a call of its own of any length would race a loaded host's stalls).
    const first = executor.submit(sleepFor, 1000, 'first');
    const second = executor.schedule(sleepFor, { args: [0, 'second'], timeout: 500 });
    expect(await first).toBe('first');
    expect(await second).toBe('second');
  });

  test('a signal ends a running remote call: the future fails at once and the call sees the abort', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue: loopQueue });
    const marker = join(dir, 'aborted');
    const started = join(dir, 'started');
    const controller = new AbortController();
    const future = executor.schedule(untilAborted, {
      args: [marker, started],
      signal: controller.signal,
    });
    await until(() => existsSync(started), 'the call to start on its host');
    const reason = new Error('stop it');
    controller.abort(reason);
    expect(future.done()).toBe(true);
    expect(await future.exception()).toBe(reason);
    await until(() => existsSync(marker), 'the host to abort the call');
    expect(readFileSync(marker, 'utf8')).toBe('stop it');
  });

  test('a signal ends a call waiting in Redis: it never runs', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue: loopQueue });
    const gate = join(dir, 'gate-waiting');
    const blockerMarker = join(dir, 'blocker');
    const waitingMarker = join(dir, 'waiting');
    const blocker = executor.submit(markThenAwaitGate, blockerMarker, gate, 'blocker');
    await until(() => existsSync(blockerMarker), 'the blocker to run');
    const controller = new AbortController();
    const waiting = executor.schedule(markThenAwaitGate, {
      args: [waitingMarker, '', 'waiting'],
      signal: controller.signal,
    });
    await sleep(100); // in Redis by now, behind the blocker on the one-call host
    expect(waiting.running()).toBe(true);
    controller.abort('changed my mind');
    expect(await waiting.exception()).toBe('changed my mind');
    writeFileSync(gate, 'open');
    expect(await blocker).toBe('blocker');
    await sleep(300);
    expect(existsSync(waitingMarker)).toBe(false);
  });

  test('a signal aborted while the call is still here cancels it', async () => {
    await using executor = new QueueExecutor({
      connection: redis.url,
      queue: loopQueue,
      maxPending: 1,
    });
    const gate = join(dir, 'gate-local');
    const marker = join(dir, 'local-blocker');
    const blocker = executor.submit(markThenAwaitGate, marker, gate, 'blocker');
    const controller = new AbortController();
    const local = executor.schedule(sleepFor, { args: [0, 'never'], signal: controller.signal });
    await until(() => existsSync(marker), 'the blocker to run');
    controller.abort(new Error('no'));
    expect(local.cancelled()).toBe(true);
    writeFileSync(gate, 'open');
    expect(await blocker).toBe('blocker');
  });

  test('map with chunks: one job per chunk, results in order, the error of a chunk after the items before it', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue: loopQueue });
    const failOn = fromModule<(item: number, bad: number) => number>(tasksModule, 'failOn');
    const results: number[] = [];
    for await (const value of executor.map(failOn, [1, 2, 3, 4, 5], [0, 0, 0, 0, 0], {
      chunksize: 2,
    })) {
      results.push(value);
    }
    expect(results).toEqual([10, 20, 30, 40, 50]);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of executor.map(failOn, [1, 2, 3, 4], [3, 3, 3, 3], {
          chunksize: 3,
        })) {
          seen.push(value);
        }
      })(),
    ).rejects.toThrow('item 3 failed');
    expect(seen).toEqual([10, 20]);
  });
});
