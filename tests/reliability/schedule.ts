// A schedule of operations on a pool (submit, cancel, result with a timeout, wait, asCompleted,
// map then break, shutdown, and pauses), run against a real ThreadPoolExecutor or
// ProcessPoolExecutor, then checked future by future: each ends exactly once, its done callbacks
// ran exactly once, a cancelled call never ran and one that was not cancelled ran exactly once with
// the outcome its kind gives, nothing is pending after shutdown({ wait: true }), and every worker
// has exited. The property test draws schedules at random (fast-check); the regression tests replay
// the schedules it shrank.

import fc from 'fast-check';
import {
  ALL_COMPLETED,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  BrokenProcessPool,
  TimeoutError,
  asCompleted,
  wait,
  type Future,
  type ReturnWhen,
} from 'concurrent-futures';
import {
  RunLog,
  expectedOutcome,
  liveThreadIds,
  makePool,
  notePids,
  outcomeOf,
  stillAliveAfter,
  task,
  withTimeout,
  endPool,
  type AnyPool,
  type PoolKind,
} from './support.js';

/** `exit` calls process.exit(3): a thread pool replaces the worker, a process pool breaks. */
export type CallKind =
  | 'value'
  | 'slow'
  | 'busy'
  | 'throw'
  | 'reject'
  | 'nonError'
  | 'exit'
  /** Never returns: only with schedule() and a timeout, which ends its worker. */
  | 'spin';
type ScheduleKind = 'value' | 'slow' | 'busy' | 'spin';
type MapKind = 'value' | 'slow' | 'busy';

export type Op =
  | { t: 'submit'; kind: CallKind; ms: number }
  /** `n` submits in one tick, every `cancelEvery`-th cancelled in the same tick: each such cancel() must succeed. */
  | { t: 'burst'; n: number; cancelEvery: number }
  | { t: 'cancel'; target: number }
  /** schedule() with a timeout and/or an AbortSignal (a spinning call always has a timeout). */
  | { t: 'schedule'; kind: ScheduleKind; ms: number; timeout: number | null; withSignal: boolean }
  /** Aborts the signal of a scheduled call (if the target has one). */
  | { t: 'abort'; target: number }
  | { t: 'result'; target: number; timeout: number; awaited: boolean }
  | {
      t: 'wait';
      targets: number[];
      returnWhen: ReturnWhen;
      timeout: number | null;
      awaited: boolean;
    }
  | { t: 'asCompleted'; targets: number[]; timeout: number | null; awaited: boolean }
  | {
      t: 'mapBreak';
      n: number;
      breakAfter: number;
      /** The item at this position throws (-1: none): the iteration ends there. */
      throwAt: number;
      kind: MapKind;
      ms: number;
      buffersize: number | null;
      chunksize: number;
      awaited: boolean;
    }
  | { t: 'tick' }
  | { t: 'sleep'; ms: number }
  | { t: 'shutdown'; wait: boolean; cancelFutures: boolean };

interface Tracked {
  future: Future<number>;
  index: number;
  kind: CallKind;
  callbacks: number;
  cancelSucceeded: boolean;
  /** Calls made with schedule(): their limits, and whether their signal was aborted. */
  limits?: { timeout: number | null; controller: AbortController | undefined; aborted: boolean };
}

interface MapRecord {
  base: number;
  n: number;
  yielded: number;
}

const SLOTS = 4096;
const MAP_BASE = 2048; // map items record from here on; submits below

function describeError(error: unknown): unknown {
  return error instanceof Error ? `${error.name}: ${error.message}` : error;
}

function shutdownError(error: unknown): boolean {
  return error instanceof Error && /shut ?down/i.test(error.message);
}

/** Runs `ops` on a fresh pool of `kind`, then checks every future, call and worker (throws on a violation). */
export async function runSchedule(
  kind: PoolKind,
  maxWorkers: number,
  ops: Op[],
  maxTasksPerChild: number | null = null,
): Promise<void> {
  // A short grace: calls ended on purpose (timeouts, aborts) have their worker ended soon.
  const executor = makePool(kind, {
    maxWorkers,
    endGraceMs: 50,
    ...(kind === 'process' ? { maxTasksPerChild } : {}),
  });
  try {
    await runOn(executor, kind, ops);
  } catch (error) {
    // A failing schedule (fast-check then shrinks it, running many more) must not leave workers.
    await endPool(executor);
    throw error;
  }
}

async function runOn(executor: AnyPool, kind: PoolKind, ops: Op[]): Promise<void> {
  const log = new RunLog(kind, SLOTS);
  const tracked: Tracked[] = [];
  const maps: MapRecord[] = [];
  const background: Promise<unknown>[] = [];
  const workerIds = new Set<number>();
  let shutDown = false;
  let cancelledByShutdown = false;
  // A process pool may break once a call that exits was submitted: from then on, any future not
  // yet finished may fail with BrokenProcessPool, and submit() and map() may throw it.
  let mayBreak = false;
  const broken = (error: unknown): boolean => mayBreak && error instanceof BrokenProcessPool;
  /** A scheduled call failed because its timeout passed or its signal aborted. */
  const endedOnPurpose = (entry: Tracked, error: unknown): boolean =>
    entry.limits !== undefined &&
    ((entry.limits.timeout !== null && error instanceof TimeoutError) ||
      (entry.limits.aborted && error instanceof Error && error.message === `abort ${entry.index}`));
  const refused = (error: unknown): boolean => (shutDown && shutdownError(error)) || broken(error);

  /** What is wrong with a finished future's outcome, or undefined. */
  const wrongOutcome = (
    entry: Tracked,
    got: { value: unknown } | { error: unknown },
  ): string | undefined => {
    if (entry.kind === 'exit') {
      const error = 'error' in got ? got.error : undefined;
      const ok =
        kind === 'thread'
          ? error instanceof Error &&
            !(error instanceof BrokenProcessPool) &&
            /died while running this call.*exited with code 3/.test(error.message)
          : error instanceof BrokenProcessPool && /exited with code 3/.test(error.message);
      return ok ? undefined : `call ${entry.index} (exit) ended with ${String(error)}`;
    }
    if ('error' in got && broken(got.error)) return undefined;
    if ('error' in got && endedOnPurpose(entry, got.error)) return undefined;
    const expected = expectedOutcome(entry.index, entry.kind);
    const seen = 'value' in got ? got : { error: describeError(got.error) };
    return JSON.stringify(seen) === JSON.stringify(expected)
      ? undefined
      : `call ${entry.index} (${entry.kind}) ended with ${JSON.stringify(seen)}, not ${JSON.stringify(expected)}`;
  };
  let mapBase = MAP_BASE;

  const submit = (
    callKind: CallKind,
    ms: number,
    limits?: Tracked['limits'],
  ): Tracked | undefined => {
    const index = tracked.length;
    let future: Future<number>;
    try {
      future =
        limits === undefined
          ? executor.submit(task, log.token, index, callKind, ms)
          : executor.schedule(task, {
              args: [log.token, index, callKind, ms],
              timeout: limits.timeout,
              signal: limits.controller?.signal,
            });
    } catch (error) {
      if (!refused(error)) throw error;
      return undefined;
    }
    if (shutDown) throw new Error('submit() after shutdown() did not throw');
    if (callKind === 'exit' && kind === 'process') mayBreak = true;
    const entry: Tracked = {
      future,
      index,
      kind: callKind,
      callbacks: 0,
      cancelSucceeded: false,
      limits,
    };
    future.addDoneCallback((f) => {
      entry.callbacks++;
      if (!f.done()) throw new Error('a done callback ran on a future that is not done');
    });
    tracked.push(entry);
    return entry;
  };

  const cancel = (entry: Tracked): boolean => {
    const cancelled = entry.future.cancel();
    if (cancelled) {
      entry.cancelSucceeded = true;
      if (!entry.future.cancelled())
        throw new Error('cancel() returned true, cancelled() is false');
    } else if (!entry.future.running() && !entry.future.done()) {
      throw new Error(
        `cancel() returned false on a future that neither runs nor is done: ${entry.future}`,
      );
    }
    return cancelled;
  };

  const pick = (target: number): Tracked | undefined =>
    tracked.length === 0 ? undefined : tracked[target % tracked.length];

  const run = (awaited: boolean, job: () => Promise<void>): Promise<void> | undefined => {
    const promise = job();
    if (awaited) return promise;
    promise.catch(() => undefined); // awaited at the end; not an unhandled rejection meanwhile
    background.push(promise);
    return undefined;
  };

  for (const op of ops) {
    switch (op.t) {
      case 'submit':
        submit(op.kind, op.ms);
        break;
      case 'schedule':
        submit(op.kind, op.ms, {
          timeout: op.timeout,
          controller: op.withSignal ? new AbortController() : undefined,
          aborted: false,
        });
        break;
      case 'abort': {
        const limits = pick(op.target)?.limits;
        if (limits?.controller !== undefined && !limits.aborted) {
          limits.aborted = true;
          limits.controller.abort(new Error(`abort ${pick(op.target)!.index}`));
        }
        break;
      }
      case 'burst': {
        const entries = Array.from({ length: op.n }, () => submit('value', 0));
        entries.forEach((entry, i) => {
          // Nothing starts inside submit(): a call submitted in this tick is still cancellable in it.
          if (entry !== undefined && i % op.cancelEvery === 0 && !cancel(entry)) {
            throw new Error(`cancel() in the tick of submit() returned false (${entry.future})`);
          }
        });
        break;
      }
      case 'cancel': {
        const entry = pick(op.target);
        if (entry !== undefined) cancel(entry);
        break;
      }
      case 'result': {
        const entry = pick(op.target);
        if (entry === undefined) break;
        await run(op.awaited, async () => {
          const got = await outcomeOf(entry.future.result(op.timeout));
          if ('error' in got && got.error instanceof TimeoutError) {
            // Not done within the timeout: the future itself is unaffected.
          } else if ('error' in got && got.error instanceof CancelledError) {
            expect(entry.future.cancelled()).toBe(true);
          } else {
            expect(entry.future.done()).toBe(true);
            expect(wrongOutcome(entry, got)).toBeUndefined();
          }
        });
        break;
      }
      case 'wait': {
        if (tracked.length === 0) break;
        const fs = op.targets.map((target) => pick(target)!.future);
        await run(op.awaited, async () => {
          const distinct = new Set(fs);
          const { done, notDone } = await wait(fs, {
            timeout: op.timeout,
            returnWhen: op.returnWhen,
          });
          expect(done.size + notDone.size).toBe(distinct.size);
          for (const future of distinct)
            expect(done.has(future) !== notDone.has(future)).toBe(true);
          for (const future of done) expect(future.done()).toBe(true);
          if (op.timeout === null) {
            if (op.returnWhen === ALL_COMPLETED) expect(notDone.size).toBe(0);
            if (op.returnWhen === FIRST_COMPLETED) expect(done.size).toBeGreaterThan(0);
            if (op.returnWhen === FIRST_EXCEPTION && notDone.size > 0) {
              const errors = await Promise.all([...done].map((future) => future.exception()));
              expect(errors.some((error) => error !== undefined)).toBe(true);
            }
          }
        });
        break;
      }
      case 'asCompleted': {
        if (tracked.length === 0) break;
        const fs = op.targets.map((target) => pick(target)!.future);
        await run(op.awaited, async () => {
          const distinct = new Set(fs);
          const yielded: Future<number>[] = [];
          try {
            for await (const future of asCompleted(fs, { timeout: op.timeout })) {
              expect(future.done()).toBe(true);
              yielded.push(future);
            }
            expect(yielded.length).toBe(distinct.size);
          } catch (error) {
            expect(error).toBeInstanceOf(TimeoutError);
            expect(op.timeout).not.toBeNull();
          }
          expect(new Set(yielded).size).toBe(yielded.length);
          for (const future of yielded) expect(distinct.has(future)).toBe(true);
        });
        break;
      }
      case 'mapBreak': {
        const base = mapBase;
        mapBase += op.n;
        const indices = Array.from({ length: op.n }, (_, i) => base + i);
        const kinds = indices.map((_, i) => (i === op.throwAt ? 'throw' : op.kind));
        let iterator: AsyncIterableIterator<number>;
        try {
          iterator = executor.map(
            task,
            indices.map(() => log.token),
            indices,
            kinds,
            indices.map(() => op.ms),
            { buffersize: op.buffersize, chunksize: op.chunksize },
          );
        } catch (error) {
          if (!refused(error)) throw error;
          break;
        }
        if (shutDown) throw new Error('map() after shutdown() did not throw');
        const record: MapRecord = { base, n: op.n, yielded: 0 };
        maps.push(record);
        await run(op.awaited, async () => {
          for (let i = 0; i < op.breakAfter; i++) {
            const step = await outcomeOf(iterator.next());
            if (
              'error' in step &&
              op.buffersize !== null &&
              shutDown &&
              shutdownError(step.error)
            ) {
              // A buffered map submits as it goes (as Python's does): once the pool is shut down,
              // the next submit throws, and the iteration ends with that error after the results
              // already submitted.
              return;
            }
            if ('error' in step && broken(step.error)) return; // the pool broke under the map
            if ('error' in step && cancelledByShutdown && step.error instanceof CancelledError) {
              // shutdown({ cancelFutures: true }) cancelled the map's calls not started: the
              // iteration reaches one and throws CancelledError, as Python's map does.
              return;
            }
            if (i === op.throwAt) {
              expect('error' in step && describeError(step.error)).toBe(
                `RangeError: task ${base + i} threw`,
              );
              return;
            }
            expect(step).toEqual({ value: { done: false, value: (base + i) * 2 } });
            record.yielded++;
          }
          await iterator.return!();
        });
        break;
      }
      case 'tick':
        await new Promise((resolve) => setImmediate(resolve));
        break;
      case 'sleep':
        await new Promise((resolve) => setTimeout(resolve, op.ms));
        break;
      case 'shutdown': {
        const done = executor.shutdown({ wait: op.wait, cancelFutures: op.cancelFutures });
        shutDown = true;
        if (op.cancelFutures) {
          cancelledByShutdown = true;
          // Every call that had not started is cancelled now; the others run or are done.
          for (const entry of tracked) {
            expect(entry.future.done() || entry.future.running()).toBe(true);
          }
        }
        if (op.wait) {
          await withTimeout(done, 30_000, 'shutdown({ wait: true })');
        } else {
          done.catch(() => undefined);
          background.push(done);
        }
        break;
      }
    }
    for (const id of notePids(executor)) workerIds.add(id);
  }

  shutDown = true;
  await withTimeout(
    executor.shutdown({ wait: true }),
    30_000,
    'the final shutdown({ wait: true })',
  );
  // Nothing pending once shutdown({ wait: true }) has resolved.
  for (const entry of tracked)
    expect([entry.index, entry.future.done()]).toEqual([entry.index, true]);
  await withTimeout(Promise.all(background), 30_000, 'the waits, results and maps of the schedule');

  const runs = log.runs();
  for (const entry of tracked) {
    const ran = runs.get(entry.index) ?? 0;
    const seen = { index: entry.index, callbacks: entry.callbacks, ran };
    // Ends exactly once: one done callback; a cancelled call never ran; any other ran exactly once.
    if (entry.future.cancelled()) {
      expect(seen).toEqual({ index: entry.index, callbacks: 1, ran: 0 });
    } else {
      expect(entry.cancelSucceeded).toBe(false);
      const got = await outcomeOf(entry.future.result(0));
      expect(wrongOutcome(entry, got)).toBeUndefined();
      // A call lost with a broken pool may or may not have started; any other ran exactly once.
      // Nor may a call ended on purpose (it may be ended before its first line ran).
      const lostWithPool =
        'error' in got && (broken(got.error) || endedOnPurpose(entry, got.error));
      expect(seen).toEqual({
        index: entry.index,
        callbacks: 1,
        ran: lostWithPool ? Math.min(ran, 1) : 1,
      });
    }
  }
  // No call ran twice (map items included); the map items whose results were yielded ran once.
  for (const [index, count] of runs) {
    if (count !== 1) throw new Error(`call ${index} ran ${count} times`);
  }
  for (const record of maps) {
    for (let i = 0; i < record.yielded; i++) {
      expect({ item: record.base + i, ran: runs.get(record.base + i) }).toEqual({
        item: record.base + i,
        ran: 1,
      });
    }
  }

  // Every worker has exited.
  expect(executor.workerIds).toEqual([]);
  if (kind === 'process') {
    const pids = [...new Set([...workerIds, ...log.pids()])];
    expect(await stillAliveAfter(pids, 5_000)).toEqual([]);
  } else {
    const live = new Set(liveThreadIds());
    expect([...workerIds].filter((id) => live.has(id))).toEqual([]);
  }
}

// ── Arbitraries ─────────────────────────────────────────────────────────────────────────────

const callKind: fc.Arbitrary<CallKind> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.constantFrom<CallKind>(
      'value',
      'value',
      'slow',
      'busy',
      'throw',
      'reject',
      'nonError',
    ),
  },
  { weight: 1, arbitrary: fc.constant<CallKind>('exit') },
);
const target = fc.nat({ max: 63 });
const smallTimeout = fc.integer({ min: 0, max: 30 });

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('submit' as const),
      kind: callKind,
      ms: fc.integer({ min: 0, max: 20 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('burst' as const),
      n: fc.integer({ min: 1, max: 40 }),
      cancelEvery: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('cancel' as const), target }) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        t: fc.constant('schedule' as const),
        kind: fc.constantFrom<ScheduleKind>('value', 'slow', 'busy', 'spin'),
        ms: fc.integer({ min: 0, max: 20 }),
        timeout: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
        withSignal: fc.boolean(),
      })
      .map((op) => (op.kind === 'spin' ? { ...op, timeout: op.timeout ?? 30 } : op)),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('abort' as const), target }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('result' as const),
      target,
      timeout: smallTimeout,
      awaited: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('wait' as const),
      targets: fc.array(target, { minLength: 1, maxLength: 6 }),
      returnWhen: fc.constantFrom<ReturnWhen>(FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED),
      timeout: fc.option(smallTimeout, { nil: null }),
      awaited: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('asCompleted' as const),
      targets: fc.array(target, { minLength: 1, maxLength: 6 }),
      timeout: fc.option(smallTimeout, { nil: null }),
      awaited: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        t: fc.constant('mapBreak' as const),
        n: fc.integer({ min: 1, max: 12 }),
        breakAfter: fc.integer({ min: 0, max: 12 }),
        throwAt: fc.integer({ min: -1, max: 11 }),
        kind: fc.constantFrom<MapKind>('value', 'slow', 'busy'),
        ms: fc.integer({ min: 0, max: 10 }),
        buffersize: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
        chunksize: fc.integer({ min: 1, max: 3 }),
        awaited: fc.boolean(),
      })
      .map((op) => ({ ...op, breakAfter: Math.min(op.breakAfter, op.n) })),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('tick' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('sleep' as const), ms: fc.integer({ min: 1, max: 25 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('shutdown' as const),
      wait: fc.boolean(),
      cancelFutures: fc.boolean(),
    }),
  },
);

export const scheduleArbitrary = fc.record({
  maxWorkers: fc.integer({ min: 1, max: 3 }),
  /** Process pools only: children replaced after this many calls. */
  maxTasksPerChild: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null, freq: 3 }),
  ops: fc.array(opArbitrary, { minLength: 1, maxLength: 24 }),
});
