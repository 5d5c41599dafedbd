// map() on worker threads, with and without chunks: input order, and what happens when an item fails.

import { ThreadPoolExecutor, TimeoutError } from 'concurrent-futures';
import { drain } from '../support/iteration.js';
import { Gate } from './helpers.js';

let executor: ThreadPoolExecutor;
beforeAll(() => {
  executor = new ThreadPoolExecutor({ maxWorkers: 3 });
});
afterAll(() => executor.shutdown());

// Later items finish first (they sleep less), so order comes from map, not from timing.
const slowFirst = async (i: number, n: number): Promise<number> => {
  await new Promise((resolve) => setTimeout(resolve, (n - i) % 7));
  return i * i;
};

test.each([1, 2, 5, 64])('results come in input order (chunksize %i)', async (chunksize) => {
  const n = 200;
  const items = Array.from({ length: n }, (_, i) => i);
  const { values, error } = await drain(
    executor.map(slowFirst, items, Array(n).fill(n), { chunksize }),
  );
  expect(error).toBeUndefined();
  expect(values).toEqual(items.map((i) => i * i));
});

test('several iterables are zipped, stopping at the shortest; async iterables work', async () => {
  async function* letters(): AsyncGenerator<string> {
    yield* ['a', 'b', 'c', 'd'];
  }
  const pair = (x: number, s: string): string => `${s}${x}`;
  expect((await drain(executor.map(pair, [1, 2, 3], letters(), { chunksize: 2 }))).values).toEqual([
    'a1',
    'b2',
    'c3',
  ]);
});

test('with chunks, a failing item: the items before it are yielded, then its error; the items after it in its chunk never run', async () => {
  const gate = new Gate(10);
  const step = (sab: SharedArrayBuffer, i: number): number => {
    Atomics.add(new Int32Array(sab), 2 + i, 1);
    if (i === 5) throw new RangeError(`item ${i} failed`);
    return i * 10;
  };
  // Chunks of 4: [0 1 2 3] [4 5 6 7] [8 9]. Item 5 fails: 4 is yielded, then the error; 6 and 7 never run.
  const { values, error } = await drain(
    executor.map(
      step,
      Array(10).fill(gate.sab),
      Array.from({ length: 10 }, (_, i) => i),
      { chunksize: 4 },
    ),
  );
  expect(values).toEqual([0, 10, 20, 30, 40]);
  expect(error).toBeInstanceOf(RangeError);
  expect((error as Error).message).toBe('item 5 failed');
  expect(gate.runs(6)).toBe(0);
  expect(gate.runs(7)).toBe(0);
  for (const i of [0, 1, 2, 3, 4, 5]) expect(gate.runs(i)).toBe(1);
  // Chunk [8 9] was submitted at map(); it ran at most once (or was cancelled when the error ended the map).
  expect(gate.runs(8)).toBeLessThanOrEqual(1);
  expect(gate.runs(9)).toBeLessThanOrEqual(1);
});

test('without chunks, the error is thrown when its result is reached', async () => {
  const step = (i: number): number => {
    if (i === 3) throw new TypeError('three');
    return i;
  };
  const { values, error } = await drain(executor.map(step, [0, 1, 2, 3, 4, 5]));
  expect(values).toEqual([0, 1, 2]);
  expect(error).toBeInstanceOf(TypeError);
});

test('an async function failing inside a chunk', async () => {
  const step = async (i: number): Promise<number> => {
    if (i === 2) throw new Error(`async ${i}`);
    return i;
  };
  const { values, error } = await drain(executor.map(step, [0, 1, 2, 3], { chunksize: 4 }));
  expect(values).toEqual([0, 1]);
  expect((error as Error).message).toBe('async 2');
});

test('a chunk item that cannot be sent back fails at that item', async () => {
  const step = (i: number): unknown => (i === 2 ? Symbol('no') : i);
  const { values, error } = await drain(executor.map(step, [0, 1, 2, 3], { chunksize: 4 }));
  expect(values).toEqual([0, 1]);
  expect((error as Error).message).toMatch(/could not be sent back/);
});

test('timeout: the iterator throws TimeoutError; the calls not started are cancelled', async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const gate = new Gate(20);
  const step = (sab: SharedArrayBuffer, i: number): number => {
    const view = new Int32Array(sab);
    if (i === 0) Atomics.wait(view, 1, 0, 20000);
    else Atomics.add(view, 2 + i, 1);
    return i;
  };
  const iterator = pool.map(
    step,
    Array(20).fill(gate.sab),
    Array.from({ length: 20 }, (_, i) => i),
    { timeout: 50, chunksize: 2 },
  );
  const { values, error } = await drain(iterator);
  gate.release();
  expect(values).toEqual([]);
  expect(error).toBeInstanceOf(TimeoutError);
  expect(await pool.submit(() => 'after')).toBe('after');
  // Chunk [0 1] ran as a whole (item 1 after the wait); every later chunk was cancelled in time.
  expect(gate.totalRuns()).toBe(1);
});

test('bad options throw from map() itself', () => {
  const id = (x: number): number => x;
  expect(() => executor.map(id, [1], { chunksize: 0 })).toThrow(RangeError);
  expect(() => executor.map(id, [1], { chunksize: 1.5 })).toThrow(/chunksize/);
  expect(() => executor.map(id, [1], { chunksize: '2' as never })).toThrow(TypeError);
  expect(() => executor.map(id, [1], { buffersize: 0 })).toThrow(/buffersize/);
  expect(() => executor.map(id, [1], { timeout: -1 })).toThrow(RangeError);
});

test('buffersize bounds the calls in flight, counting chunks', async () => {
  await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  const counter = new SharedArrayBuffer(8);
  const step = (sab: SharedArrayBuffer, i: number): number => {
    Atomics.add(new Int32Array(sab), 0, 1);
    return i;
  };
  const iterator = pool.map(
    step,
    Array(100).fill(counter),
    Array.from({ length: 100 }, (_, i) => i),
    { buffersize: 3, chunksize: 5 },
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(Atomics.load(new Int32Array(counter), 0)).toBeLessThanOrEqual(15);
  const first = await iterator.next();
  expect(first.value).toBe(0);
  await iterator.return!();
  expect(Atomics.load(new Int32Array(counter), 0)).toBeLessThanOrEqual(20);
});
