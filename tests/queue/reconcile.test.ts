// Reconciliation reads how each quiet call's job ended, not the whole job. A call waiting in Redis
// (no host yet) or running long is quiet, and every `reconcileAfter` its job was read with
// HGETALL, arguments and all: 50 waiting calls of 1 MB made Redis send 200 MB in 20 s.

import { fromModule } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import { Redis } from 'ioredis';
import {
  describeWithRedis,
  startHost,
  startRedis,
  tasksModule,
  uniqueQueue,
  until,
  type Host,
  type RedisServer,
} from './support.js';

const echo = fromModule<(value: unknown) => unknown>(tasksModule, 'echo');
const MB = 1024 * 1024;

/** How many HMGET commands the server has run (reconciliation reads jobs with HMGET). */
async function hmgetCalls(client: Redis): Promise<number> {
  const match = /^cmdstat_hmget:calls=(\d+)/m.exec(await client.info('commandstats'));
  return match === null ? 0 : Number(match[1]);
}

describeWithRedis('QueueExecutor reconciliation', () => {
  let redis: RedisServer;
  let client: Redis;
  let host: Host | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });

  afterAll(async () => {
    client?.disconnect();
    await host?.stop();
    await redis?.stop();
  });

  test('reads the end of quiet calls, not their arguments', async () => {
    const queue = uniqueQueue('reconcile');
    // The executor's command connection is ours: what Redis sends on it is what reconciling reads.
    const connection = new Redis(redis.url);
    await using executor = new QueueExecutor({
      connection,
      queue,
      reconcileAfter: 100,
      maxResultBytes: 2 * MB,
    });
    // No host yet: the five calls wait in Redis, each with a megabyte of arguments.
    const futures = [1, 2, 3, 4, 5].map((i) => executor.submit(echo, 'x'.repeat(MB) + i));
    await until(
      async () => futures.every((future) => future.running()),
      'the calls to be in Redis',
    );
    const readsBefore = await hmgetCalls(client);
    const receivedBefore = connection.stream.bytesRead;
    // Three rounds of reconciliation of the five calls.
    await until(
      async () => (await hmgetCalls(client)) - readsBefore >= 15,
      'three rounds of reconciliation',
    );
    // Reading the jobs whole was 5 MB a round; their ends are a few hundred bytes.
    expect(connection.stream.bytesRead - receivedBefore).toBeLessThan(MB);
    host = await startHost({ redis: redis.url, queue, workers: 2 });
    const results = await Promise.all(futures);
    expect(results.map((value) => (value as string).slice(-1))).toEqual(['1', '2', '3', '4', '5']);
    await executor.shutdown();
    connection.disconnect();
  }, 60_000);
});
