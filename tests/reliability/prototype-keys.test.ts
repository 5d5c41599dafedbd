// A call may put keys on the worker's Object.prototype that the pool's messages use as optional
// fields (`forget`, `ack`, `first`, `reportStart`, `buffers`, `slowMs`). Every message the worker
// reads would inherit them, and a field it assigns would run the call's setter instead. Before the
// worker read only its messages' own fields: `forget` made every later call on that worker fail
// ("Function.prototype.apply was called on undefined"), a no-op `buffers` setter turned Buffer
// results into plain Uint8Arrays, and a throwing `slowMs` setter ended the worker (and broke a
// process pool). Also here: executor-only Future methods called on a pool's future by a user.

import { spawn } from 'node:child_process';
import { InvalidStateError } from 'concurrent-futures';
import { KINDS, cleanUpAfterEach, makePool, withTimeout } from './support.js';

cleanUpAfterEach();

const STEP_MS = 20_000;

const add = (a: number, b: number): number => a + b;

interface Poison {
  what: string;
  /** The body of the call that poisons the prototype (runs in the worker). */
  body: string;
}

const POISONS: Poison[] = [
  { what: 'forget: a list of function ids', body: 'Object.prototype.forget = [0, 1, 2, 3];' },
  { what: 'ack: a sequence number', body: 'Object.prototype.ack = 1e9;' },
  { what: 'first: a sequence number', body: 'Object.prototype.first = 1e9;' },
  { what: 'reportStart: true', body: 'Object.prototype.reportStart = true;' },
  { what: 'defs: an empty list', body: 'Object.prototype.defs = [];' },
  {
    what: 'a throwing setter on slowMs',
    body: "Object.defineProperty(Object.prototype, 'slowMs', { set() { throw new Error('poisoned'); }, configurable: true });",
  },
  {
    what: 'a setter on buffers that drops the value',
    body: "Object.defineProperty(Object.prototype, 'buffers', { set() {}, get() { return undefined; }, configurable: true });",
  },
];

describe.each(KINDS)('%s pool: protocol keys put on Object.prototype by a call', (kind) => {
  test.each(POISONS)(
    '$what: later calls on the same worker still get their results',
    async ({ body }) => {
      const executor = makePool(kind, { maxWorkers: 1 });
      expect(await withTimeout(executor.submit(add, 1, 2), STEP_MS)).toBe(3);
      const poison = new Function(`${body} return 'poisoned';`) as () => string;
      expect(await withTimeout(executor.submit(poison), STEP_MS)).toBe('poisoned');
      // A call of a function the worker has not seen (its def travels), one it has, a slow one
      // (its batch carries slowMs), and a map: all on the poisoned worker.
      const slow = (ms: number): number => {
        const until = Date.now() + ms;
        while (Date.now() < until);
        return ms;
      };
      expect(await withTimeout(executor.submit(add, 1, 10), STEP_MS)).toBe(11);
      expect(await withTimeout(executor.submit(slow, 15), STEP_MS)).toBe(15);
      expect(await withTimeout(executor.submit(add, 2, 20), STEP_MS)).toBe(22);
      const mapped: number[] = [];
      for await (const value of executor.map((x: number) => x * 2, [1, 2, 3])) mapped.push(value);
      expect(mapped).toEqual([2, 4, 6]);
      await withTimeout(executor.shutdown(), STEP_MS);
    },
  );
});

test('thread pool: a Buffer result stays a Buffer after a call put a setter on Object.prototype.buffers', async () => {
  const executor = makePool('thread', { maxWorkers: 1 });
  await withTimeout(
    executor.submit(() => {
      Object.defineProperty(Object.prototype, 'buffers', {
        set() {},
        get() {
          return undefined;
        },
        configurable: true,
      });
    }),
    STEP_MS,
  );
  const result = await withTimeout(
    executor.submit(() => Buffer.from('hello')),
    STEP_MS,
  );
  expect(Buffer.isBuffer(result)).toBe(true);
  expect(result.toString()).toBe('hello');
});

describe.each(KINDS)('%s pool: executor-only Future methods called by a user', (kind) => {
  test('setResult() on a queued call: the call is not run, the pool and the caller go on', async () => {
    const executor = makePool(kind, { maxWorkers: 1 });
    const wait = (ms: number): Promise<number> =>
      new Promise((resolve) => setTimeout(() => resolve(ms), ms));
    const first = executor.submit(wait, 50);
    const hijacked = executor.submit(wait, 30);
    hijacked.setResult(-1);
    const last = executor.submit(wait, 10);
    expect(await withTimeout(first, STEP_MS)).toBe(50);
    expect(await withTimeout(hijacked, STEP_MS)).toBe(-1);
    expect(await withTimeout(last, STEP_MS)).toBe(10);
    await withTimeout(executor.shutdown(), STEP_MS);
  });

  test('cancel() then setRunningOrNotifyCancel() on a queued call: the others still run, counts stay right', async () => {
    const executor = makePool(kind, { maxWorkers: 1 });
    const wait = (ms: number): Promise<number> =>
      new Promise((resolve) => setTimeout(() => resolve(ms), ms));
    const first = executor.submit(wait, 50);
    const notified = executor.submit(wait, 30);
    expect(notified.cancel()).toBe(true);
    expect(notified.setRunningOrNotifyCancel()).toBe(false);
    // A second notify is the executor's mistake to make, and says what is wrong.
    expect(() => notified.setRunningOrNotifyCancel()).toThrow(InvalidStateError);
    expect(() => notified.setRunningOrNotifyCancel()).toThrow(/notified already/);
    const last = executor.submit(wait, 10);
    expect(await withTimeout(first, STEP_MS)).toBe(50);
    expect(await withTimeout(last, STEP_MS)).toBe(10);
    const { calls } = executor.stats();
    expect(calls).toMatchObject({ queued: 0, running: 0, completed: 2, failed: 0, cancelled: 1 });
    await withTimeout(executor.shutdown(), STEP_MS);
  });
});

// The caller's side: options a user leaves out must not be read off Object.prototype, where other
// code (or a prototype-pollution bug) may have put them. An inherited `timeout` of 10 ms timed out
// every schedule() and map() and made wait() return early; on the EventLoopExecutor p-queue read it
// too, and its p-timeout rejection, unhandled, ended the process at the first submit(). Run in a
// process of its own: jest's own objects would inherit the keys too.
test('options left out are not read off a polluted Object.prototype, by any executor or wait()', async () => {
  const dist = new URL('../../dist/index.js', import.meta.url).href;
  const script = `
    import { ThreadPoolExecutor, ProcessPoolExecutor, EventLoopExecutor, wait, asCompleted } from ${JSON.stringify(dist)};
    for (const [key, value] of Object.entries({ timeout: 10, callTimeout: 10, chunksize: 0, buffersize: 0, cancelFutures: true, wait: false, maxWorkers: 0 }))
      Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true });
    const slow = (x) => new Promise((resolve) => setTimeout(() => resolve(x), 100));
    const seen = [];
    for (const executor of [new ThreadPoolExecutor({ maxWorkers: 1 }), new ProcessPoolExecutor({ maxWorkers: 1 }), new EventLoopExecutor()]) {
      seen.push(await executor.submit(slow, 1));
      seen.push(await executor.schedule(slow, { args: [2] }));
      for await (const value of executor.map(slow, [3])) seen.push(value);
      const pending = executor.submit(slow, 4);
      const { notDone } = await wait([pending]);
      seen.push(notDone.size === 0 ? await pending : 'wait() returned early');
      for await (const future of asCompleted([executor.submit(slow, 5)])) seen.push(await future);
      const last = executor.submit(slow, 6);
      await executor.shutdown();
      seen.push(last.cancelled() ? 'cancelled by shutdown()' : await last);
    }
    console.log(JSON.stringify(seen));
  `;
  const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (exitCode) => resolve({ stdout: out, code: exitCode }));
  });
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
}, 60_000);

test("options given by a class's getters, a prototype of defaults, or a non-enumerable key are still read", async () => {
  // Copying own enumerable keys only (against the pollution above) dropped these silently.
  const { EventLoopExecutor: Loop, TimeoutError: Timeout } = await import('concurrent-futures');
  class CallOptions {
    args: [number] = [5];
    get timeout(): number {
      return 20;
    }
  }
  const executor = new Loop(Object.create({ maxWorkers: 1 }) as { maxWorkers: number });
  const slow = (x: number): Promise<number> =>
    new Promise((resolve) => setTimeout(() => resolve(x), 2_000));
  const error = await executor.schedule(slow, new CallOptions()).exception();
  expect(error).toBeInstanceOf(Timeout);
  let running = 0;
  let peak = 0;
  const tracked = async (): Promise<void> => {
    peak = Math.max(peak, ++running);
    await new Promise((resolve) => setTimeout(resolve, 10));
    running--;
  };
  await Promise.all([1, 2, 3].map(() => executor.submit(tracked)));
  expect(peak).toBe(1); // maxWorkers 1, from the prototype
  await executor.shutdown({ cancelFutures: true });
  const hidden = new Loop(Object.defineProperty({}, 'maxWorkers', { value: 1 }));
  running = peak = 0;
  await Promise.all([1, 2, 3].map(() => hidden.submit(tracked)));
  expect(peak).toBe(1);
  await hidden.shutdown();
});
