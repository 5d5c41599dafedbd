// What anyone who can reach the Redis server can send besides jobs: messages on the hosts' cancel
// channel, entries in the queue's events stream; and errors and chunk results as large as a call
// makes them. Each row failed before its fix: one malformed cancel ended every host on the queue,
// one unreadable events entry left a busy executor settling its calls only through reconciliation
// (`reconcileAfter` late), and maxResultBytes let a chunk's earlier results and any error through.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fromModule } from 'concurrent-futures';
import { QueueExecutor, startQueueWorker } from 'concurrent-futures/queue';
import { cancelChannel } from '../../src/queue/job-data.js';
import {
  describeWithRedis,
  startHost,
  startRedis,
  tasksModule,
  uniqueQueue,
  type Host,
  type RedisServer,
} from './support.js';
import { withTimeout } from '../support/processes.js';

const add = fromModule<(a: number, b: number) => number>(tasksModule, 'add');
const sleep = fromModule<(ms: number, value: unknown) => Promise<unknown>>(tasksModule, 'sleep');
const bytesOrFail = fromModule<(bytes: number) => Uint8Array>(tasksModule, 'bytesOrFail');
const failCarrying = fromModule<(bytes: number) => never>(tasksModule, 'failCarrying');
const fail = fromModule<(message: string) => never>(tasksModule, 'fail');
const untilAborted = fromModule<(marker: string, startedMarker?: string) => Promise<string>>(
  tasksModule,
  'untilAborted',
);

const STEP_MS = 15_000;

describeWithRedis('traffic on Redis that is not a QueueExecutor’s', () => {
  let redis: RedisServer;
  let host: Host;
  let queue: Queue;
  let client: Redis;
  const name = uniqueQueue('hostile');

  beforeAll(async () => {
    redis = await startRedis();
    host = await startHost({ redis: redis.url, queue: name, workers: 4 });
    queue = new Queue(name, { connection: { url: redis.url } });
    client = new Redis(redis.url);
  });

  afterAll(async () => {
    await queue?.close();
    client?.disconnect();
    await host?.stop();
    await redis?.stop();
  });

  test('malformed cancel messages are ignored: the host lives on and runs calls', async () => {
    const channel = cancelChannel('bull', name);
    const executor = new QueueExecutor({ connection: redis.url, queue: name });
    try {
      // A call running on the host while the messages arrive (until something ends it): one forged
      // cancel names its job.
      const marker = join(mkdtempSync(join(tmpdir(), 'cf-hostile-')), 'ended');
      const running = executor.submit(untilAborted, marker);
      let active: string | undefined;
      for (let tries = 0; active === undefined && tries < 300; tries++) {
        active = (await queue.getActive())[0]?.id;
        if (active === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(active).toBeDefined();
      for (const message of [
        'null',
        '5',
        '"text"',
        '{"id":5}',
        '{"id":"x"}',
        '{"id":"x","reason":7}',
        'not json',
        JSON.stringify({ id: active, reason: '!!not base64 nor v8' }),
      ])
        await client.publish(channel, message);
      // The forged cancel of the running job ends it, as a producer's would; it is not the host's end.
      await expect(withTimeout(running, STEP_MS)).rejects.toThrow(/cancelled by its producer/);
      expect(await withTimeout(executor.submit(add, 2, 3), STEP_MS)).toBe(5);
      expect(host.child.exitCode).toBeNull();
      expect(host.child.signalCode).toBeNull();
    } finally {
      await executor.shutdown({ cancelFutures: true });
    }
  });

  test('an events entry that cannot be parsed: a busy executor goes on hearing its calls', async () => {
    // Reconciliation a minute late: only the events stream can settle the calls below in time.
    const executor = new QueueExecutor({
      connection: redis.url,
      queue: name,
      reconcileAfter: 60_000,
    });
    try {
      expect(await withTimeout(executor.submit(add, 1, 1), STEP_MS)).toBe(2);
      const busy = executor.submit(sleep, 3_000, 'kept busy'); // no idle close and reopen
      await client.xadd(
        `bull:${name}:events`,
        '*',
        'event',
        'completed',
        'jobId',
        'nobody',
        'returnvalue',
        'not json',
      );
      for (let i = 0; i < 3; i++)
        expect(await withTimeout(executor.submit(add, i, 10), STEP_MS)).toBe(i + 10);
      expect(await withTimeout(busy, STEP_MS)).toBe('kept busy');
    } finally {
      await executor.shutdown({ cancelFutures: true });
    }
  });

  test('maxResultBytes bounds a chunk’s earlier results and a thrown error', async () => {
    const executor = new QueueExecutor({
      connection: redis.url,
      queue: name,
      maxResultBytes: 1000,
    });
    try {
      const yielded: unknown[] = [];
      const failure = await withTimeout(
        (async () => {
          for await (const value of executor.map(bytesOrFail, [5_000, 5_000, -1], {
            chunksize: 3,
          }))
            yielded.push(value);
        })().catch((error: unknown) => error),
        STEP_MS,
      );
      expect(yielded).toEqual([]);
      expect(String(failure)).toMatch(/maxResultBytes of 1000/);

      const thrown = await withTimeout(
        executor.submit(failCarrying, 100_000).catch((error: unknown) => error),
        STEP_MS,
      );
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).message).toMatch(
        /over the 65536 bytes an error may take back to the producer \(the QueueExecutor's maxResultBytes/,
      );
      expect((thrown as Error).message).toMatch(/failed with a body/);
      expect((thrown as { body?: unknown }).body).toBeUndefined();

      // An ordinary error is far below the floor: it keeps its class, code and cause.
      const ordinary = await withTimeout(
        executor.submit(fail, 'plain').catch((error: unknown) => error),
        STEP_MS,
      );
      expect(ordinary).toMatchObject({ name: 'CustomError', message: 'plain', code: 'E_CUSTOM' });
      expect((ordinary as Error).cause).toBeInstanceOf(RangeError);
    } finally {
      await executor.shutdown({ cancelFutures: true });
    }
  });
});

test('a host refuses a lockDuration or stalledInterval past what a timer can wait', async () => {
  for (const key of ['lockDuration', 'stalledInterval']) {
    await expect(
      startQueueWorker({
        connection: 'redis://127.0.0.1:1',
        queue: 'never',
        allow: ['./tests/queue/fixtures/tasks.mjs'],
        [key]: 2 ** 31,
      }),
    ).rejects.toThrow(new RegExp(`${key}\` to be at most 2147483647 ms`));
  }
});
