// Faults on real processes: a host killed with SIGKILL mid-call, too many stalls, Redis killed
// and restarted on the same port and data, Redis unreachable from the start, a host closed with
// calls running (within its grace, past it, and with a grace past a timer's reach), a producer's
// shutdown() while calls are in flight, a producer that forgets shutdown() while Redis is away, and
// a host that cannot start (a wrong password).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromModule, wait } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import { Redis } from 'ioredis';
import {
  describeWithRedis,
  ownServer,
  projectRoot,
  startHost,
  startRedis,
  tasksModule,
  uniqueQueue,
  until,
  wrongPasswordUrl,
  type Host,
  type RedisServer,
} from './support.js';

const sleepFor = fromModule<(ms: number, value: number) => number>(tasksModule, 'sleep');
const markThenAwaitGate = fromModule<(marker: string, gate: string, value: string) => string>(
  tasksModule,
  'markThenAwaitGate',
);

const testOwnServer = ownServer ? test : test.skip;

/** Runs an ES module script in a node of its own; SIGKILL after 20 s if it does not exit by itself. */
async function runAlone(script: string): Promise<{ out: string; how: number | string | null }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const how = await new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  clearTimeout(kill);
  return { out, how };
}

describeWithRedis('QueueExecutor faults', () => {
  let redis: RedisServer;
  let dir: string;
  const hosts: Host[] = [];

  async function host(options: Parameters<typeof startHost>[0]): Promise<Host> {
    const started = await startHost(options);
    hosts.push(started);
    return started;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cf-queue-faults-'));
    redis = await startRedis();
  });

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
  });

  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a host killed with SIGKILL mid-call: the call runs again on another host and the future settles once', async () => {
    const queue = uniqueQueue('kill');
    const first = await host({ redis: redis.url, queue, name: 'A', workers: 1 });
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const marker = join(dir, 'kill-marker');
    const gate = join(dir, 'kill-gate');
    const future = executor.submit(markThenAwaitGate, marker, gate, 'done');
    const settled: unknown[] = [];
    future.addDoneCallback((f) => settled.push(f.state));
    await until(() => existsSync(marker), 'host A to start the call');
    await host({ redis: redis.url, queue, name: 'B', workers: 1 });
    first.child.kill('SIGKILL');
    await first.exited;
    writeFileSync(gate, 'open');
    expect(await future).toBe('done');
    expect(readFileSync(marker, 'utf8')).toBe('AB'); // at least once: it ran (began) on both
    expect(settled).toEqual(['FINISHED']);
  });

  test('a call whose hosts die more often than maxStalledCount allows fails saying so', async () => {
    const queue = uniqueQueue('stalls');
    const first = await host({
      redis: redis.url,
      queue,
      name: 'A',
      workers: 1,
      maxStalledCount: 0,
    });
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const marker = join(dir, 'stall-marker');
    const future = executor.submit(markThenAwaitGate, marker, join(dir, 'never'), 'never');
    await until(() => existsSync(marker), 'host A to start the call');
    first.child.kill('SIGKILL');
    await first.exited;
    await host({ redis: redis.url, queue, name: 'B', workers: 1, maxStalledCount: 0 });
    const error = await future.exception();
    expect(String(error)).toMatch(/died|stopped answering/);
    expect(String(error)).toMatch(/at least once/);
  });

  testOwnServer(
    'Redis killed and restarted on the same port and data mid-run: every future settles',
    async () => {
      const queue = uniqueQueue('restart');
      await host({ redis: redis.url, queue, name: 'A', workers: 4 });
      await host({ redis: redis.url, queue, name: 'B', workers: 4 });
      await using executor = new QueueExecutor({
        connection: redis.url,
        queue,
        reconcileAfter: 1000,
      });
      const futures = Array.from({ length: 40 }, (_, i) => executor.submit(sleepFor, 100, i));
      await until(() => futures.some((f) => f.done()), 'the first results');
      await redis.kill();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await redis.restart();
      const { notDone } = await wait(futures, { timeout: 30_000 });
      expect(notDone.size).toBe(0);
      expect(await Promise.all(futures)).toEqual(futures.map((_, i) => i));
    },
    40_000,
  );

  test('Redis emptied (restarted without its data): jobs found missing are added again and every future settles', async () => {
    const queue = uniqueQueue('flushed');
    await using executor = new QueueExecutor({ connection: redis.url, queue, reconcileAfter: 300 });
    const futures = [1, 2, 3, 4, 5].map((i) => executor.submit(sleepFor, 10, i));
    const client = new Redis(redis.url);
    try {
      // No host yet: the jobs wait in Redis until they are all there, then Redis loses them.
      await until(() => futures.every((f) => f.running()), 'the calls to be sent');
      const waitingKey = `bull:${queue}:wait`;
      const countWaiting = async (): Promise<number> => client.llen(waitingKey);
      while ((await countWaiting()) < 5) await new Promise((resolve) => setTimeout(resolve, 20));
      await client.flushall();
    } finally {
      client.disconnect();
    }
    await host({ redis: redis.url, queue, workers: 4 });
    const { notDone } = await wait(futures, { timeout: 20_000 });
    expect(notDone.size).toBe(0);
    expect(await Promise.all(futures)).toEqual([1, 2, 3, 4, 5]);
  });

  testOwnServer(
    'Redis lost mid-run and not back: pending futures fail after unreachableTimeout',
    async () => {
      const queue = uniqueQueue('lost');
      await using executor = new QueueExecutor({
        connection: redis.url,
        queue,
        unreachableTimeout: 500,
      });
      const future = executor.submit(sleepFor, 0, 1); // no host: it stays pending in Redis
      await until(() => future.running(), 'the call to be sent');
      await redis.kill();
      try {
        expect(String(await future.exception())).toMatch(
          /could not be reached .*unreachableTimeout/,
        );
      } finally {
        await redis.restart();
      }
    },
  );

  testOwnServer(
    'Redis that stops answering, its connections still open: pending futures fail after unreachableTimeout',
    async () => {
      const queue = uniqueQueue('frozen'); // no host: the calls wait in Redis
      const executor = new QueueExecutor({
        connection: redis.url,
        queue,
        unreachableTimeout: 1500,
        reconcileAfter: 1000,
      });
      const futures = [1, 2].map((i) => executor.submit(sleepFor, 10, i));
      await until(() => executor.stats().calls.running === 2, 'the calls in Redis');
      redis.freeze(); // a frozen server, or a partition that drops packets: no 'close' ever comes
      try {
        const { notDone } = await wait(futures, { timeout: 15_000 });
        expect(notDone.size).toBe(0);
        for (const future of futures) {
          const error = (await future.exception()) as Error;
          expect(error.message).toMatch(
            /did not answer for \d+ ms, its connection still open .*unreachableTimeout is 1500 ms/,
          );
        }
      } finally {
        redis.thaw();
      }
      await executor.shutdown();
    },
    30_000,
  );

  test('Redis unreachable from the start: pending futures fail after unreachableTimeout, with what to check', async () => {
    const executor = new QueueExecutor({
      connection: 'redis://127.0.0.1:1',
      queue: uniqueQueue('unreachable'),
      unreachableTimeout: 300,
    });
    const futures = [executor.submit(sleepFor, 0, 1), executor.submit(sleepFor, 0, 2)];
    const errors = await Promise.all(futures.map((f) => f.exception()));
    for (const error of errors)
      expect(String(error)).toMatch(/could not be reached .*unreachableTimeout/);
    await executor.shutdown();
  });

  test("a producer's shutdown() with calls in flight: waits for them, cancels what is still here, never touches the hosts", async () => {
    const queue = uniqueQueue('shutdown');
    const worker = await host({ redis: redis.url, queue, workers: 2 });
    const executor = new QueueExecutor({ connection: redis.url, queue, maxPending: 2 });
    const futures = [0, 1, 2, 3, 4].map((i) => executor.submit(sleepFor, 200, i));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await executor.shutdown({ cancelFutures: true });
    expect(futures.map((f) => f.state)).toEqual([
      'FINISHED',
      'FINISHED',
      'CANCELLED_AND_NOTIFIED',
      'CANCELLED_AND_NOTIFIED',
      'CANCELLED_AND_NOTIFIED',
    ]);
    expect(() => executor.submit(sleepFor, 0, 0)).toThrow(/shut ?down/);
    expect(worker.child.exitCode).toBeNull();
    await using another = new QueueExecutor({ connection: redis.url, queue });
    expect(await another.submit(sleepFor, 0, 7)).toBe(7);
  });

  testOwnServer(
    'a host closed (SIGTERM) while Redis is down and a call runs past its grace still exits',
    async () => {
      const queue = uniqueQueue('close-redis-down');
      const closing = await host({ redis: redis.url, queue, name: 'C', closeGraceMs: 200 });
      // The producer gives up on Redis soon after it goes: nothing here waits for it to come back.
      const executor = new QueueExecutor({ connection: redis.url, queue, unreachableTimeout: 500 });
      const marker = join(dir, 'close-redis-down-marker');
      const future = executor.submit(markThenAwaitGate, marker, join(dir, 'never-opened'), 'x');
      await until(() => existsSync(marker), 'the call to start on the host');
      await redis.kill();
      try {
        closing.child.kill('SIGTERM');
        // Handing the call back needs Redis: before, the host waited for it for ever.
        const how = await Promise.race([
          closing.exited,
          new Promise((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000)),
        ]);
        expect(how).toBe(0);
        expect(String(await future.exception())).toMatch(/could not be reached/);
        await executor.shutdown();
      } finally {
        await redis.restart();
      }
    },
    40_000,
  );

  test('a host closed (SIGTERM) with a call running past its grace hands it back to the queue', async () => {
    const queue = uniqueQueue('handback');
    const first = await host({ redis: redis.url, queue, name: 'A', workers: 1, closeGraceMs: 200 });
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const marker = join(dir, 'handback-marker');
    const gate = join(dir, 'handback-gate');
    const future = executor.submit(markThenAwaitGate, marker, gate, 'handed back');
    await until(() => existsSync(marker), 'host A to start the call');
    await first.stop();
    expect(future.done()).toBe(false);
    await host({ redis: redis.url, queue, name: 'B', workers: 1 });
    await until(() => readFileSync(marker, 'utf8') === 'AB', 'host B to take the call');
    writeFileSync(gate, 'open');
    expect(await future).toBe('handed back');
  });

  test('a host closed with a grace past what a timer can wait lets its running call finish', async () => {
    // 1e12 ms (or Infinity) once fired the grace timer at once: the call went back to the queue.
    const queue = uniqueQueue('long-grace');
    const only = await host({ redis: redis.url, queue, name: 'A', workers: 1, closeGraceMs: 1e12 });
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const marker = join(dir, 'long-grace-marker');
    const gate = join(dir, 'long-grace-gate');
    const future = executor.submit(markThenAwaitGate, marker, gate, 'finished here');
    await until(() => existsSync(marker), 'host A to start the call');
    const stopping = only.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(only.child.exitCode).toBeNull(); // still in its grace, with the call running
    writeFileSync(gate, 'open');
    expect(await future).toBe('finished here');
    await stopping;
    expect(readFileSync(marker, 'utf8')).toBe('A');
  });

  test('startQueueWorker() that cannot start (a wrong password) leaves nothing that keeps the process alive', async () => {
    const url = new URL(await wrongPasswordUrl(redis.url, `cf-host-${process.pid}`));
    const script = `
      import { startQueueWorker } from ${JSON.stringify(new URL('../../dist/queue/index.js', import.meta.url).href)};
      try {
        await startQueueWorker({ connection: ${JSON.stringify(url.href)}, queue: 'never', allow: ['./tests/queue/fixtures/tasks.mjs'], pool: 'thread', workers: 1 });
        console.log('started');
      } catch (error) {
        console.log('rejected: ' + error.message);
      }`;
    const { out, how } = await runAlone(script);
    expect(out).toMatch(/^rejected: .*WRONGPASS/);
    expect(how).toBe(0); // it exited by itself, not killed by the test
  });

  test('a producer that forgets shutdown() exits by itself once its calls settle, though Redis is away', async () => {
    // ioredis retries on a ref'd timer of its own: it once kept such a script alive for as long
    // as Redis stayed away.
    const script = `
      import { fromModule } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      import { QueueExecutor } from ${JSON.stringify(new URL('../../dist/queue/index.js', import.meta.url).href)};
      const executor = new QueueExecutor({ connection: 'redis://127.0.0.1:1', queue: 'away', unreachableTimeout: 500 });
      const add = fromModule(${JSON.stringify(tasksModule.href)}, 'add');
      const error = await executor.submit(add, 1, 2).exception();
      console.log('failed: ' + error.message);`;
    const { out, how } = await runAlone(script);
    expect(out).toMatch(/^failed: .*could not be reached/);
    expect(how).toBe(0); // it exited by itself, not killed by the test
  });
});
