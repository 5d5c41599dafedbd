// The QueueExecutor's plain path on a real Redis with worker hosts in processes of their own:
// calls run on a host and their futures settle with the values, errors keep their fidelity,
// and what may not travel is refused where the contract says.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CancelledError, fromModule, wait } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import {
  describeWithRedis,
  otherModule,
  projectRoot,
  startHost,
  startRedis,
  tasksModule,
  uniqueQueue,
  type Host,
  type RedisServer,
} from './support.js';

const run = promisify(execFile);
const add = fromModule<(a: number, b: number) => number>(tasksModule, 'add');
const echo = fromModule<(value: unknown) => unknown>(tasksModule, 'echo');

describeWithRedis('QueueExecutor basics', () => {
  let redis: RedisServer;
  let host: Host;
  const queue = uniqueQueue('basics');

  beforeAll(async () => {
    redis = await startRedis();
    host = await startHost({ redis: redis.url, queue });
  });

  afterAll(async () => {
    await host?.stop();
    await redis?.stop();
  });

  test('runs a call on a host and settles its future with the value', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const future = executor.submit(add, 2, 3);
    expect(await future).toBe(5);
    expect(future.done()).toBe(true);
    expect(await executor.submit(fromModule<(name: string) => string>(tasksModule), 'you')).toBe(
      'hello you',
    );
  });

  test('arguments and results keep the process pool fidelity', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const value = {
      big: 2n ** 70n,
      map: new Map<unknown, unknown>([
        [1, 'one'],
        ['two', new Set([2])],
      ]),
      date: new Date(1_700_000_000_000),
      bytes: new Float64Array([1.5, -0]),
      buffer: Buffer.from('buf'),
      regexp: /x+/gi,
      nested: [undefined, null, NaN],
    };
    const back = (await executor.submit(echo, value)) as typeof value;
    expect(back).toEqual(value);
    // (v8.deserialize builds the values in Node's realm, not in jest's sandbox: no instanceof.)
    expect(Object.prototype.toString.call(back.map)).toBe('[object Map]');
    expect(back.big).toBe(2n ** 70n);
    expect(Buffer.isBuffer(back.buffer)).toBe(true);
  });

  test('typed arrays, Buffers and DataViews arrive in memory of their own, both ways (never a view into a shared pool)', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const smallViews = fromModule<() => ArrayBufferView[]>(tasksModule, 'smallViews');
    const viewMemory = fromModule<
      (view: Uint8Array) => { byteOffset: number; bufferBytes: number }
    >(tasksModule, 'viewMemory');
    const [first, second] = await Promise.all([
      executor.submit(smallViews),
      executor.submit(smallViews),
    ]);
    for (const view of [...first!, ...second!]) {
      expect(view.byteOffset).toBe(0);
      expect(view.buffer.byteLength).toBe(view.byteLength);
    }
    expect(first![0]!.buffer).not.toBe(second![0]!.buffer);
    expect([...(first![0] as Uint8Array)]).toEqual([1, 2, 3]);
    expect(Buffer.isBuffer(first![1])).toBe(true);
    expect(String(first![1])).toBe('abc');
    expect([...(first![3] as Float32Array)]).toEqual([1.5, 2.5]);
    // On the host (an event-loop pool here): the function's argument is its own memory too, where
    // a view into the host's buffer pool showed other jobs' data.
    expect(await executor.submit(viewMemory, new Uint8Array([1, 2, 3]))).toEqual({
      byteOffset: 0,
      bufferBytes: 3,
    });
  });

  test('an error thrown on the host arrives with its name, message, cause and own properties', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const error = (await executor
      .submit(fromModule<(message: string) => never>(tasksModule, 'fail'), 'broken')
      .exception()) as Error & { code: string };
    expect(error.name).toBe('CustomError');
    expect(error.message).toBe('broken');
    expect(error.code).toBe('E_CUSTOM');
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.stack).toContain('tasks.mjs');
  });

  test('submit refuses a function by source with a TypeError that says why', () => {
    const executor = new QueueExecutor({ connection: redis.url, queue });
    expect(() => executor.submit((a: number) => a + 1, 1)).toThrow(TypeError);
    expect(() => executor.submit((a: number) => a + 1, 1)).toThrow(/fromModule\(\)/);
    expect(() => executor.submit((a: number) => a + 1, 1)).toThrow(/never carries code/);
    void executor.shutdown();
  });

  test('arguments that cannot travel fail that future only', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const bad = executor.submit(echo, { fn() {} });
    const good = executor.submit(add, 1, 1);
    expect(await bad.exception()).toBeInstanceOf(TypeError);
    expect(String(await bad.exception())).toMatch(/cannot travel/);
    expect(await good).toBe(2);
  });

  test('a forgotten await: a Future argument is refused at the call, a Promise told to be awaited', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const pending = executor.submit(add, 1, 1);
    expect(() => executor.submit(echo, pending)).toThrow(/Argument 0 of this call is a Future/);
    expect(() => executor.submit(echo, [pending])).toThrow(/Element 0 of argument 0/);
    const promised = await executor.submit(echo, Promise.resolve(1)).exception();
    expect(String(promised)).toMatch(/A Promise cannot travel to a worker: await it/);
    expect(await executor.submit(echo, await pending)).toBe(2);
  });

  test('a result that cannot travel back fails its future with a clear error', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const error = await executor.submit(fromModule(tasksModule, 'unclonableResult')).exception();
    expect(String(error)).toMatch(/result cannot travel back/);
  });

  test('the database a URL names is used; one the server lacks fails every call and stops a host, touching database 0 never', async () => {
    const inDatabase = (db: number): string => {
      const url = new URL(redis.url);
      url.pathname = `/${db}`;
      return url.href;
    };
    const queueThree = uniqueQueue('db-three');
    const hostThree = await startHost({ redis: inDatabase(3), queue: queueThree, name: 'db3' });
    const { Redis } = await import('ioredis');
    const look = new Redis(redis.url); // database 0
    try {
      {
        await using executor = new QueueExecutor({ connection: inDatabase(3), queue: queueThree });
        expect(await executor.submit(add, 1, 2)).toBe(3);
      }
      expect(await look.keys(`bull:${queueThree}:*`)).toEqual([]);
      await look.select(3);
      expect((await look.keys(`bull:${queueThree}:*`)).length).toBeGreaterThan(0);
      await look.select(0);

      // 20 is past the 16 databases of a default server (a test's own server, or REDIS_URL's).
      const queueMissing = uniqueQueue('db-missing');
      const executor = new QueueExecutor({ connection: inDatabase(20), queue: queueMissing });
      for (const future of [executor.submit(add, 1, 2), executor.submit(add, 3, 4)]) {
        const error = (await future.exception()) as Error;
        expect(error.message).toMatch(/refused database 20/);
        expect(error.message).toMatch(/databases/);
      }
      await executor.shutdown();
      // A client of the user's, connected before it is handed over: its SELECT failed unheard.
      const own = new Redis(inDatabase(20));
      own.on('error', () => {});
      await own.ping();
      const withOwn = new QueueExecutor({ connection: own, queue: queueMissing });
      const ownError = (await withOwn.submit(add, 1, 2).exception()) as Error;
      expect(ownError.message).toMatch(/is on database 0, not on database 20/);
      await withOwn.shutdown();
      own.disconnect();
      const { startQueueWorker } = await import('concurrent-futures/queue');
      await expect(
        startQueueWorker({
          connection: inDatabase(20),
          queue: queueMissing,
          allow: ['./tests/queue/fixtures/tasks.mjs'],
          root: projectRoot,
          pool: 'event-loop',
        }),
      ).rejects.toThrow(/refused database 20/);
      expect(await look.keys(`bull:${queueMissing}:*`)).toEqual([]);
    } finally {
      look.disconnect();
      await hostThree.stop();
    }
  });

  test('a module not on the host allow-list fails the future, naming the module and how to allow it', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const error = await executor.submit(fromModule(otherModule, 'secret')).exception();
    expect(String(error)).toMatch(/\.\/tests\/queue\/fixtures\/other-tasks\.mjs/);
    expect(String(error)).toMatch(/--allow/);
    expect(String(error)).not.toMatch(/another root/);
  });

  test("a module named from another project root than the host's says to fix the producer's root, not the allow-list", async () => {
    // A producer whose root is not the hosts' (it ran elsewhere, or found another package.json):
    // its module travels as ./tasks.mjs, which is no file under the host's root.
    const elsewhere = mkdtempSync(join(tmpdir(), 'cf-other-root-'));
    try {
      writeFileSync(join(elsewhere, 'package.json'), '{}');
      writeFileSync(join(elsewhere, 'tasks.mjs'), 'export const add = (a, b) => a + b;');
      await using executor = new QueueExecutor({
        connection: redis.url,
        queue,
        projectRoot: elsewhere,
      });
      const moved = fromModule(pathToFileURL(join(elsewhere, 'tasks.mjs')), 'add');
      const error = String(await executor.submit(moved, 1, 2).exception());
      expect(error).toMatch(/\.\/tasks\.mjs/);
      expect(error).toMatch(/named the module from another root/);
      expect(error).toMatch(/projectRoot/);
      expect(error).not.toMatch(/Start the host with --allow/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('a result over maxResultBytes fails its future saying so', async () => {
    await using executor = new QueueExecutor({
      connection: redis.url,
      queue,
      maxResultBytes: 1000,
    });
    const big = fromModule<(bytes: number) => Uint8Array>(tasksModule, 'bigResult');
    const error = await executor.submit(big, 5000).exception();
    expect(error).toBeInstanceOf(RangeError);
    expect(String(error)).toMatch(/maxResultBytes of 1000/);
    expect((await executor.submit(big, 10)).length).toBe(10);
  });

  test('a script that forgets shutdown() still gets its results, then exits by itself', async () => {
    const script = new URL('./fixtures/forgets-shutdown.mjs', import.meta.url);
    const { stdout, stderr } = await run(
      process.execPath,
      [fileURLToPath(script), redis.url, queue],
      {
        timeout: 20_000,
      },
    );
    expect(stdout.split('\n').sort()).toEqual(['', 'result 5', 'result 9']);
    expect(stderr).toBe('');
  });

  test('an executor idle long enough to close its events stream opens it again for the next call', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    expect(await executor.submit(add, 1, 2)).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await executor.submit(add, 3, 4)).toBe(7);
    expect(await Promise.all([executor.submit(add, 5, 6), executor.submit(add, 7, 8)])).toEqual([
      11, 15,
    ]);
  });

  test('stats() read in a done callback counts the call that just settled', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue });
    const fail = fromModule<(message: string) => never>(tasksModule, 'fail');
    const seen: unknown[] = [];
    const record = (): void => {
      seen.push(executor.stats().calls);
    };
    const done = executor.submit(add, 1, 2);
    done.addDoneCallback(record);
    await done;
    const failed = executor.submit(fail, 'no');
    failed.addDoneCallback(record);
    await failed.exception();
    expect(seen).toEqual([
      { queued: 0, running: 0, completed: 1, failed: 0, cancelled: 0 },
      { queued: 0, running: 0, completed: 1, failed: 1, cancelled: 0 },
    ]);
  });

  test('calls beyond maxPending wait in this process, where cancel() is exact', async () => {
    await using executor = new QueueExecutor({ connection: redis.url, queue, maxPending: 1 });
    const sleep = fromModule<(ms: number, value: string) => string>(tasksModule, 'sleep');
    const first = executor.submit(sleep, 300, 'first');
    const second = executor.submit(sleep, 0, 'second');
    const third = executor.submit(sleep, 0, 'third');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first.running()).toBe(true); // in Redis: counts as running
    expect(first.cancel()).toBe(false);
    expect(second.cancel()).toBe(true);
    // Counted as cancelled at once, though Redis is full and the line waits for room.
    expect(executor.stats().calls).toMatchObject({ queued: 1, running: 1, cancelled: 1 });
    const { done } = await wait([first, second, third]);
    expect(done.size).toBe(3);
    expect(await first).toBe('first');
    expect(await third).toBe('third');
    await expect(second.result()).rejects.toBeInstanceOf(CancelledError);
    expect(executor.stats().calls).toMatchObject({
      queued: 0,
      running: 0,
      completed: 2,
      cancelled: 1,
    });
  });
});
