// Issue 16: how far ahead a worker is fed is judged per function. A pool that has timed thousands
// of microsecond calls must not hand 20 calls of 50 ms to one worker while the other sits idle
// (they took ~950 ms instead of ~500 on 2 workers). Judged by which worker ran each call: spread
// over both workers, each runs about half; stranded, one runs 19 or 20.

import { cleanUpAfterEach, KINDS, noop, perWorker, track, work } from './support.js';

cleanUpAfterEach();

describe.each(KINDS)('%s, 2 workers', (_name, create) => {
  test('20 calls of 50 ms after many fast calls of another function are spread over both workers', async () => {
    const pool = track(create(2));
    const warm = Array.from({ length: 5000 }, (_, i) => pool.submit(noop, i));
    await Promise.all(warm.map((future) => future.result()));
    const slow = Array.from({ length: 20 }, () => pool.submit(work, 50));
    const ranBy = await Promise.all(slow.map((future) => future.result()));
    const [most, least] = perWorker(ranBy);
    expect(least).toBeGreaterThanOrEqual(6); // about 10 each; stranded: 0 or 1
    expect(most).toBeLessThanOrEqual(14);
  });

  test('20 calls of 50 ms after many fast calls of the same function are spread over both workers', async () => {
    const pool = track(create(2));
    const warm = Array.from({ length: 5000 }, () => pool.submit(work, 0));
    await Promise.all(warm.map((future) => future.result()));
    const slow = Array.from({ length: 20 }, () => pool.submit(work, 50));
    const ranBy = await Promise.all(slow.map((future) => future.result()));
    const [most, least] = perWorker(ranBy);
    expect(least).toBeGreaterThanOrEqual(6);
    expect(most).toBeLessThanOrEqual(14);
  });
});
