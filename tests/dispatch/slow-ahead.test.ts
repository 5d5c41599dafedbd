// A function whose calls are slow (≥ 10 ms each) gets one call handed ahead per busy worker while
// the queue holds a call for every worker, so that no worker waits a round trip between two of
// its calls; at the tail of a batch (fewer queued calls than workers) none is. A process pool of
// several workers hands ahead no call of a function it has not seen finish fast (what a child
// holds cannot be taken back); one of a single worker may (no other worker could take the call).
// So no call waits behind a slow one while another worker may fall idle. What a pool hands out
// shows in stats(): a call handed ahead counts as running, a call still in its queue as queued.
//
// The long calls wait at gates that the test opens (see `gated`), in the order it needs, rather
// than sleep a few hundred ms: still running whenever the test looks, however long a loaded
// machine stalls it, so what it sees is where the pool put each call, not how soon it heard of an
// end.

import { ProcessPoolExecutor } from 'concurrent-futures';
import {
  cleanUpAfterEach,
  gated,
  KINDS,
  newGate,
  openGate,
  openGatesAfterEach,
  track,
  within,
  work,
} from './support.js';

openGatesAfterEach();
cleanUpAfterEach();

/**
 * Lets the pool dispatch what was just submitted (a microtask). What the test then reads cannot
 * change while it is late: the calls it looks at wait at gates.
 */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe.each(KINDS)('%s, 2 workers, a function measured slow', (kind, create) => {
  test('with a backlog, each busy thread holds one call ahead; a child process none', async () => {
    const pool = track(create(2));
    // Both started, measured slow.
    await Promise.all([pool.submit(gated, 20), pool.submit(gated, 20)]);
    const gate = newGate(kind);
    const first = [pool.submit(gated, 0, gate), pool.submit(gated, 0, gate)]; // held till opened
    const rest = Array.from({ length: 4 }, () => pool.submit(gated, 20));
    await settle();
    const ahead = kind === 'ThreadPoolExecutor' ? 2 : 0;
    expect(pool.stats().calls).toMatchObject({ running: 2 + ahead, queued: 4 - ahead });
    openGate(gate);
    const ranBy = await Promise.all([...first, ...rest]);
    expect(new Set(ranBy).size).toBe(2);
  });

  test('at the tail of a batch, the last call waits in the queue for the first free worker', async () => {
    const pool = track(create(2));
    await Promise.all([pool.submit(gated, 20), pool.submit(gated, 20)]);
    const [longGate, shortGate] = [newGate(kind), newGate(kind)];
    const long = [pool.submit(gated, 0, longGate), pool.submit(gated, 0, shortGate)];
    const last = pool.submit(gated, 20);
    await settle();
    expect(pool.stats().calls).toMatchObject({ running: 2, queued: 1 });
    // The worker whose call ends first runs it, not one chosen while both were busy: the short
    // call's gate opens first, and the long one's only once the last call is done.
    openGate(shortGate);
    const ranShort = await long[1]!;
    const ranLast = await within(last, 10_000, 'the last call (held behind the long call?)');
    expect(ranLast).toBe(ranShort);
    openGate(longGate);
    const ranLong = await long[0]!;
    expect(ranShort).not.toBe(ranLong);
  });

  test.each([
    ['measured slow', true],
    ['not yet measured', false],
  ])(
    'no call waits behind a long call of a function %s while the other worker is free',
    async (_what, measureFirst) => {
      const pool = track(create(2));
      if (measureFirst) await Promise.all([pool.submit(gated, 20), pool.submit(gated, 20)]);
      // Held until the short calls are done: far past any estimate, as a hung call or a slow page.
      const gate = newGate(kind);
      const long = pool.submit(gated, 0, gate);
      const short = Array.from({ length: 6 }, () => pool.submit(gated, 20));
      const ranShort = await within(Promise.all(short), 10_000, 'the short calls');
      expect(long.done()).toBe(false);
      openGate(gate);
      const ranLong = await long;
      expect(ranShort.filter((who) => who === ranLong)).toEqual([]);
    },
  );
});

// Here `gated` is the slow function: one of its own, not measured by the pool (unlike `work`).
describe.each(KINDS)('%s, 2 workers, calls of a fast function', (kind, create) => {
  test.each([
    ['not yet measured', false],
    ['measured slow', true],
  ])(
    'never wait behind a call of a function %s while the other worker is free',
    async (_what, measureFirst) => {
      const pool = track(create(2));
      await Promise.all(Array.from({ length: 200 }, () => pool.submit(work, 0))); // work: fast
      if (measureFirst) await Promise.all([pool.submit(gated, 20), pool.submit(gated, 20)]);
      const [longGate, shortGate] = [newGate(kind), newGate(kind)];
      const long = pool.submit(gated, 0, longGate);
      const short = pool.submit(gated, 0, shortGate);
      await settle(); // both running, one on each worker
      const fast = Array.from({ length: 20 }, () => pool.submit(work, 0));
      // The short call ends first (its gate opens), the long one only after the fast calls.
      openGate(shortGate);
      const ranFast = await within(Promise.all(fast), 10_000, 'the fast calls');
      expect(long.done()).toBe(false);
      openGate(longGate);
      const [ranLong, ranShort] = await Promise.all([long, short]);
      expect(ranLong).not.toBe(ranShort);
      expect(ranFast.filter((who) => who === ranLong)).toEqual([]);
    },
  );
});

test('a process pool of one worker hands a slow call ahead: no other worker could take it', async () => {
  const pool = track(new ProcessPoolExecutor({ maxWorkers: 1 }));
  await pool.submit(gated, 20);
  const gate = newGate('ProcessPoolExecutor');
  const calls = [pool.submit(gated, 0, gate), pool.submit(gated, 20), pool.submit(gated, 20)];
  await settle();
  expect(pool.stats().calls).toMatchObject({ running: 2, queued: 1 });
  expect(calls[1]!.cancel()).toBe(false); // held by the child: running, as in Python
  expect(calls[2]!.cancel()).toBe(true);
  openGate(gate);
  await Promise.all(calls.slice(0, 2));
});

test('processes: the calls handed ahead behind an async call that awaits for ever go back, and run elsewhere', async () => {
  // One fast function, whose one call awaits what never comes (a request with no timeout): before,
  // every call handed ahead to its child behind it stayed there, while the other child sat idle.
  const pool = track(new ProcessPoolExecutor({ maxWorkers: 2 }));
  const maybeHang = async (i: number): Promise<number> => {
    if (i === 50) await new Promise(() => undefined);
    return i;
  };
  for (let round = 0; round < 3; round++)
    await Promise.all(Array.from({ length: 50 }, () => pool.submit(maybeHang, -1))); // seen fast
  const futures = Array.from({ length: 400 }, (_, i) => pool.submit(maybeHang, i));
  const others = futures.filter((_, i) => i !== 50);
  expect(await within(Promise.all(others), 20_000, 'the calls around the one that hangs')).toEqual(
    Array.from({ length: 400 }, (_, i) => i).filter((i) => i !== 50),
  );
  expect(futures[50]!.done()).toBe(false);
  // Its child is held by the hanging call alone: the next calls go to the other child.
  expect(await within(pool.submit(maybeHang, 7), 10_000, 'a later call')).toBe(7);
});
