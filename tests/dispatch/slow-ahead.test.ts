// A function whose calls are slow (≥ 10 ms each) gets one call handed ahead per busy worker while
// the queue holds a call for every worker, so that no worker waits a round trip between two of
// its calls; at the tail of a batch (fewer queued calls than workers) none is. A process pool of
// several workers hands ahead no call of a function it has not seen finish fast (what a child
// holds cannot be taken back); one of a single worker may (no other worker could take the call).
// So no call waits behind a slow one while another worker may fall idle. What a pool hands out
// shows in stats(): a call handed ahead counts as running, a call still in its queue as queued.

import { ProcessPoolExecutor } from 'concurrent-futures';
import { cleanUpAfterEach, KINDS, track, work } from './support.js';

cleanUpAfterEach();

/** Lets the pool dispatch what was just submitted (a microtask) and read its workers' replies. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe.each(KINDS)('%s, 2 workers, a function measured slow', (kind, create) => {
  test('with a backlog, each busy thread holds one call ahead; a child process none', async () => {
    const pool = track(create(2));
    await Promise.all([pool.submit(work, 20), pool.submit(work, 20)]); // both started, measured slow
    const first = [pool.submit(work, 400), pool.submit(work, 400)];
    const rest = Array.from({ length: 4 }, () => pool.submit(work, 20));
    await settle();
    const ahead = kind === 'ThreadPoolExecutor' ? 2 : 0;
    expect(pool.stats().calls).toMatchObject({ running: 2 + ahead, queued: 4 - ahead });
    const ranBy = await Promise.all([...first, ...rest]);
    expect(new Set(ranBy).size).toBe(2);
  });

  test('at the tail of a batch, the last call waits in the queue for the first free worker', async () => {
    const pool = track(create(2));
    await Promise.all([pool.submit(work, 20), pool.submit(work, 20)]);
    const long = [pool.submit(work, 400), pool.submit(work, 100)];
    const last = pool.submit(work, 20);
    await settle();
    expect(pool.stats().calls).toMatchObject({ running: 2, queued: 1 });
    // The worker whose call ends first runs it, not one chosen while both were busy.
    const [ranLong, ranShort] = await Promise.all(long);
    expect(await last).toBe(ranShort);
    expect(ranShort).not.toBe(ranLong);
  });

  test.each([
    ['measured slow', true],
    ['not yet measured', false],
  ])(
    'no call waits behind a long call of a function %s while the other worker is free',
    async (_what, measureFirst) => {
      const pool = track(create(2));
      if (measureFirst) await Promise.all([pool.submit(work, 20), pool.submit(work, 20)]);
      const long = pool.submit(work, 1500); // far past any estimate, as a hung call or a slow page
      const short = Array.from({ length: 6 }, () => pool.submit(work, 20));
      const ranShort = await Promise.all(short);
      expect(long.done()).toBe(false);
      const ranLong = await long;
      expect(ranShort.filter((who) => who === ranLong)).toEqual([]);
    },
  );
});

/** A function of its own that the pool has not measured: sleeps `ms`, returns who ran it. */
function unmeasured(ms: number): string {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const { threadId } = process.getBuiltinModule('node:worker_threads');
  return `${process.pid}/${threadId}`;
}

describe.each(KINDS)('%s, 2 workers, calls of a fast function', (_kind, create) => {
  test.each([
    ['not yet measured', false],
    ['measured slow', true],
  ])(
    'never wait behind a call of a function %s while the other worker is free',
    async (_what, measureFirst) => {
      const pool = track(create(2));
      await Promise.all(Array.from({ length: 200 }, () => pool.submit(work, 0))); // work: fast
      if (measureFirst)
        await Promise.all([pool.submit(unmeasured, 20), pool.submit(unmeasured, 20)]);
      const long = pool.submit(unmeasured, 1500);
      const short = pool.submit(unmeasured, 100);
      await settle(); // both running, one on each worker
      const fast = Array.from({ length: 20 }, () => pool.submit(work, 0));
      const ranFast = await Promise.all(fast);
      expect(long.done()).toBe(false);
      const [ranLong, ranShort] = await Promise.all([long, short]);
      expect(ranLong).not.toBe(ranShort);
      expect(ranFast.filter((who) => who === ranLong)).toEqual([]);
    },
  );
});

test('a process pool of one worker hands a slow call ahead: no other worker could take it', async () => {
  const pool = track(new ProcessPoolExecutor({ maxWorkers: 1 }));
  await pool.submit(work, 20);
  const calls = [pool.submit(work, 300), pool.submit(work, 20), pool.submit(work, 20)];
  await settle();
  expect(pool.stats().calls).toMatchObject({ running: 2, queued: 1 });
  expect(calls[1]!.cancel()).toBe(false); // held by the child: running, as in Python
  expect(calls[2]!.cancel()).toBe(true);
  await Promise.all(calls.slice(0, 2));
});
