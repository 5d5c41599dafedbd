// Jobs added to the queue by hand, malformed or hostile: anyone who can write to Redis can add one.
// Each must fail alone, with an error that says why, and the host must go on running real calls.

import { serialize } from 'node:v8';
import { Queue, QueueEvents } from 'bullmq';
import { fromModule } from 'concurrent-futures';
import { QueueExecutor } from 'concurrent-futures/queue';
import { decodeError, decodeValue } from '../../src/queue/codec.js';
import {
  describeWithRedis,
  startHost,
  startRedis,
  tasksModule,
  uniqueQueue,
  type Host,
  type RedisServer,
} from './support.js';

const TASKS = './tests/queue/fixtures/tasks.mjs';
const twoArgs = serialize([1, 2]).toString('base64');
const call = (fields: Record<string, unknown>): Record<string, unknown> => ({
  v: 1,
  m: TASKS,
  e: 'add',
  a: twoArgs,
  r: 1000,
  ...fields,
});

/** V8 serialisation of a sparse array of 2^32 - 1 holes, as a forger would write it by hand. */
function sparseArgs(): string {
  // 0xFF 0x0F: version 15; 'a' (0x61): sparse array; length 2^32 - 1 as a varint; '@' (0x40): its
  // end, with no properties and the length again.
  const bytes = [
    0xff, 0x0f, 0x61, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x40, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f,
  ];
  return Buffer.from(bytes).toString('base64');
}

const FORGED: Array<[string, unknown, RegExp]> = [
  ['no data', null, /not made by a QueueExecutor/],
  ['another format version', call({ v: 2 }), /not made by a QueueExecutor/],
  ['a module not allowed', call({ m: './tests/queue/fixtures/other-tasks.mjs' }), /allow-list/],
  ['a built-in module', call({ m: 'node:child_process', e: 'execSync' }), /allow-list/],
  ['an empty export name', call({ e: '' }), /export must be a non-empty string/],
  ['arguments that are not base64 text', call({ a: 42 }), /arguments must be a base64 string/],
  [
    'arguments that are not a list',
    call({ a: serialize({ x: 1 }).toString('base64') }),
    /malformed/,
  ],
  ['a chunk arity of 0', call({ k: 0 }), /arity must be an integer >= 1, got 0/],
  ['a negative chunk arity', call({ k: -1 }), /arity must be an integer >= 1, got -1/],
  ['a chunk that is not whole', call({ k: 3 }), /not whole chunks/],
  // 20 bytes of V8 serialisation that say an array of 2^32 - 1 holes: the host ran out of memory
  // building the call (one call) or ran for ever (a chunk of arity 1).
  ['a sparse list of 2^32 - 1 arguments', call({ a: sparseArgs() }), /malformed.*sparse/],
  ['a sparse chunk of 2^32 - 1 items', call({ a: sparseArgs(), k: 1 }), /malformed.*sparse/],
  ['a negative timeout', call({ t: -5 }), /timeout must be a number of milliseconds >= 0/],
  ['a timeout that is text', call({ t: 'soon' }), /timeout must be a number/],
  ['no result size limit', call({ r: undefined }), /result size limit must be an integer >= 1/],
  ['a result size limit of -1', call({ r: -1 }), /result size limit/],
];

describeWithRedis('a worker host given forged jobs', () => {
  let redis: RedisServer;
  let host: Host;
  let queue: Queue;
  let events: QueueEvents;
  const name = uniqueQueue('forged');

  beforeAll(async () => {
    redis = await startRedis();
    // One slot: a job that held it forever would stall every job after it.
    host = await startHost({ redis: redis.url, queue: name, pool: 'event-loop', workers: 1 });
    const connection = { url: redis.url };
    queue = new Queue(name, { connection });
    events = new QueueEvents(name, { connection });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await Promise.all([queue?.close(), events?.close()]);
    await host?.stop();
    await redis?.stop();
  });

  test.each(FORGED)('%s: the job fails alone, saying why', async (_label, data, message) => {
    const job = await queue.add('call', data);
    const outcome = (await job.waitUntilFinished(events, 15_000)) as { err?: string };
    expect(outcome).toHaveProperty('err');
    expect(String((decodeError(outcome.err!) as Error).message)).toMatch(message);
  });

  test('a chunk whose timeout is past what a timer can wait runs as having none', async () => {
    // A timer past 2^31 - 1 ms fires at once in Node: the chunk timed out before it began.
    const data = call({ a: serialize([1, 2, 3, 4]).toString('base64'), k: 2, t: 2 ** 40 });
    const job = await queue.add('call', data);
    const outcome = (await job.waitUntilFinished(events, 15_000)) as { ok?: string; err?: string };
    expect(outcome.err === undefined ? undefined : decodeError(outcome.err)).toBeUndefined();
    expect(decodeValue(outcome.ok!)).toEqual([3, 7]);
  });

  test('the host still runs real calls afterwards', async () => {
    const executor = new QueueExecutor({ connection: redis.url, queue: name });
    try {
      const add = fromModule<(a: number, b: number) => number>(tasksModule, 'add');
      expect(await executor.submit(add, 2, 3)).toBe(5);
    } finally {
      await executor.shutdown();
    }
  });
});
