// The life of calls and children in a ProcessPoolExecutor: which calls count as running (a call
// handed ahead to a child does), what cancel / shutdown({ cancelFutures }) / a map that ends early
// leave to run, shutdown's wait, both disposals, children gone afterwards, and the Python docs'
// prime example.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError, ProcessPoolExecutor, type Future } from 'concurrent-futures';
import {
  cleanUpAfterEach,
  pool,
  readLines,
  scratchDir,
  stillAliveAfter,
  until,
  withTimeout,
} from './support.js';

cleanUpAfterEach();

/** Appends `index` to `log` when it starts; if `gate` is given, then waits until that file exists. */
async function record(index: number, log: string, gate?: string): Promise<number> {
  const { appendFileSync, existsSync } = await import('node:fs');
  appendFileSync(log, `${index}\n`);
  if (gate !== undefined)
    while (!existsSync(gate)) await new Promise((resolve) => setTimeout(resolve, 10));
  return index;
}

function ranIndexes(log: string): number[] {
  return readLines(log)
    .map(Number)
    .sort((a, b) => a - b);
}

function files() {
  const dir = scratchDir();
  return { log: join(dir, 'ran.log'), gate: join(dir, 'gate') };
}

describe('which calls count as running', () => {
  test('no call starts inside submit(): one cancelled in the same tick never runs', async () => {
    const ex = pool({ maxWorkers: 1 });
    const { log } = files();
    const future = ex.submit(record, 1, log);
    expect(future.running()).toBe(false);
    expect(future.cancel()).toBe(true);
    const after = ex.submit(record, 2, log);
    expect(await after).toBe(2);
    expect(future.cancelled()).toBe(true);
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
    await ex.shutdown();
    expect(ranIndexes(log)).toEqual([2]);
  });

  test('a call handed ahead to a busy child counts as running and cannot be cancelled; it runs', async () => {
    const ex = pool({ maxWorkers: 1 });
    const { log, gate } = files();
    const slow = ex.submit(record, 0, log, gate);
    const ahead = ex.submit(record, 1, log);
    const queued = ex.submit(record, 2, log);
    await until(() => ranIndexes(log).includes(0), 15_000, 'the slow call to start');
    expect(slow.running()).toBe(true);
    expect(ahead.running()).toBe(true); // handed ahead: running, though the child has not reached it
    expect(ahead.cancel()).toBe(false);
    expect(queued.running()).toBe(false);
    expect(queued.cancel()).toBe(true);
    writeFileSync(gate, '');
    expect(await Promise.all([slow, ahead])).toEqual([0, 1]);
    await ex.shutdown();
    expect(ranIndexes(log)).toEqual([0, 1]);
  });

  test('an idle child takes a call rather than a busy one holding it: two slow calls on two children run at once', async () => {
    const ex = pool({ maxWorkers: 2 });
    const { log, gate } = files();
    // First with children that do not exist yet, then with both children idle.
    for (const round of [0, 1]) {
      const both = [
        ex.submit(record, round * 10, log, gate),
        ex.submit(record, round * 10 + 1, log, gate),
      ];
      await until(
        () => ranIndexes(log).filter((i) => i >= round * 10).length === 2,
        15_000,
        'both calls to be running at once',
      );
      writeFileSync(gate, '');
      await Promise.all(both);
      // Close the gate again for the next round.
      (await import('node:fs')).rmSync(gate);
    }
    await ex.shutdown();
  });
});

describe('what cancelling leaves to run: at most one extra call per child', () => {
  test.each([1, 2])(
    'shutdown({ cancelFutures: true }) with maxWorkers %i and slow calls',
    async (maxWorkers) => {
      const ex = pool({ maxWorkers });
      const { log, gate } = files();
      const slow = Array.from({ length: maxWorkers }, (_, i) =>
        ex.submit(record, 100 + i, log, gate),
      );
      const rest = Array.from({ length: 8 }, (_, i) => ex.submit(record, i, log));
      await until(
        () => ranIndexes(log).filter((i) => i >= 100).length === maxWorkers,
        15_000,
        'the slow calls to start',
      );
      const ahead = rest.filter((future) => future.running());
      expect(ahead.length).toBeLessThanOrEqual(maxWorkers);
      const shutdown = ex.shutdown({ cancelFutures: true });
      for (const future of rest) expect(future.cancelled()).toBe(!ahead.includes(future));
      writeFileSync(gate, '');
      await withTimeout(shutdown, 15_000, 'shutdown()');
      // Exactly the slow calls and those handed ahead ran; no cancelled call ever started.
      const expected = [
        ...ahead.map((future) => rest.indexOf(future)),
        ...slow.map((_, i) => 100 + i),
      ].sort((a, b) => a - b);
      expect(ranIndexes(log)).toEqual(expected);
      for (const future of ahead) expect(await future).toBe(rest.indexOf(future));
    },
  );

  // Ended while its first call runs, so no result has come back yet: that call runs, at most one
  // more was handed ahead, every other call is cancelled and never starts.
  test.each(['return()', 'timeout'])(
    'a map that ends early (%s) cancels every call not handed to a child',
    async (how) => {
      const ex = pool({ maxWorkers: 1 });
      const { log, gate } = files();
      const items = [0, 1, 2, 3, 4, 5, 6, 7];
      const gates = items.map((i) => (i === 0 ? gate : undefined));
      const logs = items.map(() => log);
      if (how === 'return()') {
        const iterator = ex.map(record, items, logs, gates);
        await until(() => ranIndexes(log).includes(0), 15_000, 'the first call to start');
        await iterator.return!(undefined);
      } else {
        const iterator = ex.map(record, items, logs, gates, { timeout: 300 });
        await expect(iterator.next()).rejects.toMatchObject({ name: 'TimeoutError' });
      }
      writeFileSync(gate, '');
      await withTimeout(ex.shutdown(), 15_000, 'shutdown()');
      const ran = ranIndexes(log);
      expect(ran[0]).toBe(0);
      expect(ran.length).toBeLessThanOrEqual(2);
      expect(ran).toEqual(items.slice(0, ran.length));
    },
  );
});

describe('shutdown', () => {
  test('wait (the default): resolves once every call is done and every child has exited', async () => {
    const ex = pool({ maxWorkers: 2 });
    const futures = [40, 80, 120, 160].map((ms) =>
      ex.submit(async (wait: number) => {
        await new Promise((resolve) => setTimeout(resolve, wait));
        return process.pid;
      }, ms),
    );
    await until(() => ex.workerIds.length === 2, 5_000, 'two children');
    const pids = ex.workerIds;
    await withTimeout(ex.shutdown(), 20_000, 'shutdown()');
    for (const future of futures) expect(future.done()).toBe(true);
    expect(new Set(await Promise.all(futures))).toEqual(new Set(pids));
    expect(await stillAliveAfter(pids, 0)).toEqual([]);
    expect(ex.workerIds).toEqual([]);
    // Idempotent, and no new submissions.
    await withTimeout(ex.shutdown(), 5_000, 'a second shutdown()');
    expect(() => ex.submit(() => 1)).toThrow(/shut ?down/i);
    expect(() => ex.map((x: number) => x, [1])).toThrow(/shut ?down/i);
  });

  test('wait: false resolves at once; the calls still finish and the children exit by themselves', async () => {
    const ex = pool({ maxWorkers: 1 });
    const { log, gate } = files();
    const futures = [
      ex.submit(record, 0, log, gate),
      ex.submit(record, 1, log),
      ex.submit(record, 2, log),
    ];
    await until(() => ex.workerIds.length === 1, 5_000, 'a child');
    const pids = ex.workerIds;
    await withTimeout(ex.shutdown({ wait: false }), 1_000, 'shutdown({ wait: false })');
    expect(futures.some((future) => !future.done())).toBe(true);
    expect(() => ex.submit(() => 1)).toThrow(/shut ?down/i);
    writeFileSync(gate, '');
    expect(await withTimeout(Promise.all(futures), 15_000, 'the calls')).toEqual([0, 1, 2]);
    expect(await stillAliveAfter(pids, 5_000)).toEqual([]);
  });

  test('cancelFutures right after a burst of submits cancels every call: no child is even started', async () => {
    const ex = pool({ maxWorkers: 2 });
    const { log } = files();
    const futures = Array.from({ length: 5 }, (_, i) => ex.submit(record, i, log));
    await withTimeout(ex.shutdown({ cancelFutures: true }), 5_000, 'shutdown()');
    for (const future of futures) expect(future.cancelled()).toBe(true);
    expect(ex.workerIds).toEqual([]);
    expect(ranIndexes(log)).toEqual([]);
  });

  test('cancelFutures with calls running: they finish, those queued are cancelled', async () => {
    const ex = pool({ maxWorkers: 1 });
    const { log, gate } = files();
    const running = ex.submit(record, 0, log, gate);
    const ahead = ex.submit(record, 1, log);
    const queued = [2, 3, 4].map((i) => ex.submit(record, i, log));
    await until(() => ranIndexes(log).includes(0), 15_000, 'the first call');
    const shutdown = ex.shutdown({ cancelFutures: true, wait: true });
    writeFileSync(gate, '');
    await withTimeout(shutdown, 15_000, 'shutdown()');
    expect(await running).toBe(0);
    expect(await ahead).toBe(1);
    for (const future of queued) expect(future.cancelled()).toBe(true);
    expect(ranIndexes(log)).toEqual([0, 1]);
  });

  test('bad options reject without shutting down', async () => {
    const ex = pool({ maxWorkers: 1 });
    await expect(ex.shutdown({ wait: 'yes' as never })).rejects.toThrow(TypeError);
    expect(await ex.submit(() => 'still open')).toBe('still open');
    await ex.shutdown();
  });
});

describe('disposal', () => {
  test('await using: every call done and every child gone at the end of the scope', async () => {
    let futures: Future<number>[] = [];
    let pids: number[] = [];
    {
      await using ex = pool({ maxWorkers: 2 });
      futures = [50, 100, 150].map((ms) =>
        ex.submit(async (wait: number) => {
          await new Promise((resolve) => setTimeout(resolve, wait));
          return process.pid;
        }, ms),
      );
      await until(() => ex.workerIds.length === 2, 5_000, 'two children');
      pids = ex.workerIds;
    }
    for (const future of futures) expect(future.done()).toBe(true);
    expect(await stillAliveAfter(pids, 0)).toEqual([]);
  });

  test('using: shuts down without waiting; the calls still finish, then the children exit', async () => {
    let futures: Future<number>[] = [];
    let pids: number[] = [];
    let executor: ProcessPoolExecutor | undefined;
    const { log, gate } = files();
    {
      using ex = pool({ maxWorkers: 1 });
      executor = ex;
      futures = [ex.submit(record, 0, log, gate), ex.submit(record, 1, log)];
      await until(() => ex.workerIds.length === 1, 5_000, 'a child');
      pids = ex.workerIds;
    }
    expect(() => executor!.submit(() => 1)).toThrow(/shut ?down/i);
    expect(futures[0]!.done()).toBe(false);
    writeFileSync(gate, '');
    expect(await withTimeout(Promise.all(futures), 15_000, 'the calls')).toEqual([0, 1]);
    expect(await stillAliveAfter(pids, 5_000)).toEqual([]);
  });
});

test('the prime example from the Python docs, with map and await using', async () => {
  const PRIMES = [
    112272535095293, 112582705942171, 112272535095293, 115280095190773, 115797848077099,
    1099726899285419,
  ];

  function isPrime(n: number): boolean {
    if (n < 2) return false;
    if (n === 2) return true;
    if (n % 2 === 0) return false;
    const sqrtN = Math.floor(Math.sqrt(n));
    for (let i = 3; i <= sqrtN; i += 2) {
      if (n % i === 0) return false;
    }
    return true;
  }

  const lines: string[] = [];
  let pids: number[] = [];
  {
    await using executor = new ProcessPoolExecutor();
    let i = 0;
    for await (const prime of executor.map(isPrime, PRIMES)) {
      lines.push(`${PRIMES[i++]} is prime: ${prime}`);
      pids = executor.workerIds;
    }
  }
  expect(lines).toEqual([
    '112272535095293 is prime: true',
    '112582705942171 is prime: true',
    '112272535095293 is prime: true',
    '115280095190773 is prime: true',
    '115797848077099 is prime: true',
    '1099726899285419 is prime: false',
  ]);
  expect(await stillAliveAfter(pids, 0)).toEqual([]);
});

test('map with chunksize sends several items per message and keeps input order', async () => {
  const ex = pool({ maxWorkers: 2 });
  const results: number[] = [];
  for await (const value of ex.map(
    (a: number, b: number) => a * b,
    [1, 2, 3, 4, 5, 6, 7],
    [10, 20, 30, 40, 50, 60, 70, 80],
    { chunksize: 3 },
  )) {
    results.push(value);
  }
  expect(results).toEqual([10, 40, 90, 160, 250, 360, 490]);
  await ex.shutdown();
});
