// A function whose calls are slow (≥ 10 ms each) gets one call handed ahead per busy thread while
// the queue holds a call for every worker, so that no thread waits a round trip between two of
// its calls; at the tail of a batch (fewer queued calls than workers) none is, and a process pool
// hands none ahead at all (what a child holds cannot be taken back): no call waits behind a slow
// one while another worker may fall idle. What a pool hands out shows in stats(): a call handed
// ahead counts as running, a call still in the pool's queue as queued.

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

  test('no call waits behind a long call of its function while the other worker is free', async () => {
    const pool = track(create(2));
    await Promise.all([pool.submit(work, 20), pool.submit(work, 20)]);
    const long = pool.submit(work, 1500); // far past the estimate, as a hung call would be
    const short = Array.from({ length: 6 }, () => pool.submit(work, 20));
    const ranShort = await Promise.all(short);
    expect(long.done()).toBe(false);
    const ranLong = await long;
    expect(ranShort.filter((who) => who === ranLong)).toEqual([]);
  });
});
