// What real jobs do to a pool, row by row (issue 7's fault table, with issue 11's rows on ending a
// running call): each test provokes the fault, then checks what became of EVERY future (none lost,
// none hanging, none run twice), whether the pool still works, and that no worker is left behind.
// Bounds are generous: a hang is the failure, never a slow machine.

import { join } from 'node:path';
import {
  BrokenExecutor,
  BrokenProcessPool,
  CancelledError,
  ProcessPoolExecutor,
  TimeoutError,
  type Future,
} from 'concurrent-futures';
import {
  HERE,
  KINDS,
  RunLog,
  cleanUpAfterEach,
  liveThreadIds,
  makePool,
  notePids,
  outcomeOf,
  readLines,
  runNode,
  scratchDir,
  sleep,
  stillAliveAfter,
  task,
  trackPids,
  until,
  withTimeout,
  type AnyPool,
  type PoolKind,
} from './support.js';

cleanUpAfterEach();

/** Runs in a worker: the id of the worker running it (threadId or pid). */
async function workerId(): Promise<number> {
  const { isMainThread, threadId } = await import('node:worker_threads');
  return isMainThread ? process.pid : threadId;
}

/** Runs in a worker: appends `index pid` to `file` (or bumps a counter), then never returns. */
function spinForever(log: SharedArrayBuffer | string, index: number): never {
  if (typeof log === 'string') {
    process.getBuiltinModule('node:fs').appendFileSync(log, `${index} ${process.pid}\n`);
  } else {
    Atomics.add(new Int32Array(log), index, 1);
  }
  for (;;) {
    // while (true) {}: never yields to the worker's event loop again
  }
}

/** Checks that the pool's workers are all gone after shutdown: threads from Node's report, pids from the OS. */
async function expectNoWorkers(executor: AnyPool, ids: number[]): Promise<void> {
  expect(executor.workerIds).toEqual([]);
  if (executor instanceof ProcessPoolExecutor) {
    expect(await stillAliveAfter(ids, 5_000)).toEqual([]);
  } else {
    await until(
      () => !liveThreadIds().some((id) => ids.includes(id)),
      'the worker threads to be gone',
    );
  }
}

/** Faults that end the worker running the call: [what the call does, the call, what the error says]. */
const FATAL: Array<[string, () => unknown, RegExp]> = [
  [
    'throws inside a setTimeout (uncaught in the worker)',
    async (): Promise<never> => {
      setTimeout(() => {
        throw new Error('thrown from a timer, outside any call');
      }, 5);
      return new Promise<never>(() => {});
    },
    /thrown from a timer/,
  ],
  [
    'leaves an unhandled rejection',
    async (): Promise<never> => {
      void Promise.reject(new SyntaxError('a rejection nobody handles'));
      return new Promise<never>(() => {});
    },
    /a rejection nobody handles/,
  ],
  ['calls process.exit()', (): never => process.exit(9), /exited with code 9/],
  [
    'is killed by SIGKILL',
    (): never => {
      process.kill(process.pid, 'SIGKILL');
      for (;;) {
        // never reached: SIGKILL cannot be caught
      }
    },
    /SIGKILL/,
  ],
];

describe.each(KINDS)('%s pool', (kind: PoolKind) => {
  test('a call that throws, rejects or throws a non-Error: that future fails with it; the pool keeps working', async () => {
    const executor = makePool(kind, { maxWorkers: 2 });
    const first = await executor.submit(workerId);
    const thrown: Array<[string, () => unknown, (error: unknown) => void]> = [
      [
        'throws a TypeError',
        () => {
          throw new TypeError('bad type');
        },
        (error) => {
          expect(error).toBeInstanceOf(TypeError);
          expect(error).toMatchObject({ name: 'TypeError', message: 'bad type' });
        },
      ],
      [
        'rejects',
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new RangeError('rejected later');
        },
        (error) => expect(error).toEqual(new RangeError('rejected later')),
      ],
      [
        'returns a rejected promise',
        () => Promise.reject(new Error('plain rejection')),
        (error) => expect((error as Error).message).toBe('plain rejection'),
      ],
      ['throws 42', () => Promise.reject(42), (error) => expect(error).toBe(42)],
      [
        'throws a string',
        () => {
          throw 'just a string';
        },
        (error) => expect(error).toBe('just a string'),
      ],
      ['throws null', () => Promise.reject(null), (error) => expect(error).toBeNull()],
      [
        'throws undefined',
        () => Promise.reject(undefined),
        (error) => expect(error).toBeUndefined(),
      ],
      [
        'throws a plain object',
        () => Promise.reject({ code: 'E_JOB', attempts: 3 }),
        (error) => expect(error).toEqual({ code: 'E_JOB', attempts: 3 }),
      ],
    ];
    const good = Array.from({ length: 20 }, (_, i) => executor.submit((x: number) => x * 3, i));
    const failing = thrown.map(([, fn]) => executor.submit(fn));
    const more = Array.from({ length: 20 }, (_, i) => executor.submit((x: number) => x * 3, i));
    for (const [i, future] of failing.entries()) {
      const [name, , check] = thrown[i]!;
      const got = await outcomeOf(future);
      expect([name, 'error' in got]).toEqual([name, true]);
      check((got as { error: unknown }).error);
    }
    expect(await Promise.all([...good, ...more])).toEqual([
      ...Array.from({ length: 20 }, (_, i) => i * 3),
      ...Array.from({ length: 20 }, (_, i) => i * 3),
    ]);
    // Nothing broke and no worker was replaced: the first worker still serves calls.
    const ids = notePids(executor);
    expect(ids).toContain(first);
    expect(await executor.submit((x: number) => x + 1, 41)).toBe(42);
    await withTimeout(executor.shutdown(), 20_000, 'shutdown()');
    await expectNoWorkers(executor, ids);
  });

  // SIGKILL in a worker thread is SIGKILL to the test process itself: that row is for processes only.
  describe.each(FATAL.filter(([name]) => kind === 'process' || !name.includes('SIGKILL')))(
    'a call that %s',
    (_name, fatal, why) => {
      test(
        kind === 'thread'
          ? 'the worker is replaced, the running call fails with a clear error, every other call runs once'
          : 'breaks the pool: every pending future fails with BrokenProcessPool, none hangs, no child is left',
        async () => {
          const executor = makePool(kind, { maxWorkers: 2 });
          const log = new RunLog(kind, 64);
          const before = await executor.submit(workerId);
          const first = Array.from({ length: 10 }, (_, i) =>
            executor.submit(task, log.token, i, 'slow', 5),
          );
          const dying = executor.submit(fatal);
          const after = Array.from({ length: 20 }, (_, i) =>
            executor.submit(task, log.token, 10 + i, 'slow', 5),
          );
          const all: Future<unknown>[] = [...first, dying, ...after];
          await until(
            () => (notePids(executor), all.every((f) => f.done())),
            'every future done',
            30_000,
          );
          const outcomes = await Promise.all(all.map((future) => outcomeOf(future)));
          const runs = log.runs();
          for (const future of all) expect(future.cancelled()).toBe(false);
          const error = (outcomes[10] as { error: Error }).error;
          if (kind === 'thread') {
            // Only the fatal call fails, with an Error that says the worker died and why.
            expect(error).toBeInstanceOf(Error);
            expect(error).not.toBeInstanceOf(BrokenExecutor);
            expect(error.message).toMatch(/Worker thread \d+ died while running this call/);
            expect(`${error.message} ${(error.cause as Error | undefined)?.message}`).toMatch(why);
            outcomes.forEach((outcome, i) => {
              if (i !== 10) expect(outcome).toEqual({ value: (i < 10 ? i : i - 1) * 2 });
            });
            for (let i = 0; i < 30; i++) expect([i, runs.get(i)]).toEqual([i, 1]);
            // The pool is not broken: a replacement worker serves the next calls.
            expect(await executor.submit((x: number) => x + 1, 1)).toBe(2);
            const now = await executor.submit(workerId);
            expect(executor.workerIds).toContain(now);
          } else {
            // The fatal call and every call still pending fail with BrokenProcessPool; calls that
            // finished before the death keep their results; none ran twice, and the pool is broken.
            expect(error).toBeInstanceOf(BrokenProcessPool);
            expect(error.message).toMatch(/pid \d+/);
            expect(error.message).toMatch(/exited with code 1|exited with code 9|signal SIGKILL/);
            outcomes.forEach((outcome, i) => {
              if (i === 10) return;
              if ('value' in outcome) {
                expect(outcome.value).toBe((i < 10 ? i : i - 1) * 2);
              } else {
                expect(outcome.error).toBeInstanceOf(BrokenProcessPool);
              }
            });
            // The 20 calls submitted after the fatal one could not all have finished first.
            expect(outcomes.filter((outcome) => 'error' in outcome).length).toBeGreaterThan(1);
            for (const count of runs.values()) expect(count).toBe(1);
            expect(() => executor.submit(() => 1)).toThrow(BrokenProcessPool);
          }
          const ids = [...notePids(executor), before, ...log.pids()];
          await withTimeout(executor.shutdown(), 20_000, 'shutdown() after the fault');
          await expectNoWorkers(executor, ids);
        },
        60_000,
      );
    },
  );

  test('a call that never returns (while (true) {}): shutdown({ wait: false, cancelFutures: true }) returns at once and cancels the rest', async () => {
    const executor = makePool(kind, { maxWorkers: 1, endGraceMs: 200 });
    const log = new RunLog(kind, 64);
    // A thread pool cannot end a plain submit's call: give it a deadline, which ends its worker.
    const stuck =
      kind === 'thread'
        ? executor.schedule(spinForever, { args: [log.token, 0], timeout: 300 })
        : executor.submit(spinForever, log.token, 0);
    const queued = Array.from({ length: 10 }, (_, i) =>
      executor.submit(task, log.token, 1 + i, 'value', 0),
    );
    await until(() => (log.runs().get(0) ?? 0) === 1, 'the endless call to start');
    const ids = notePids(executor);

    let returned = false;
    const shutdown = executor.shutdown({ wait: false, cancelFutures: true }).then(() => {
      returned = true;
    });
    // Every call not started is cancelled by the time shutdown() returns; a process pool's call
    // handed ahead to the stuck child counts as running (at most one per worker).
    const cancelled = queued.filter((future) => future.cancelled());
    const handedAhead = queued.filter((future) => !future.cancelled());
    expect(handedAhead.length).toBeLessThanOrEqual(kind === 'thread' ? 0 : 1);
    for (const future of handedAhead) expect(future.running()).toBe(true);
    await withTimeout(shutdown, 5_000, 'shutdown({ wait: false })');
    expect(returned).toBe(true);
    expect(stuck.done()).toBe(false);

    if (executor instanceof ProcessPoolExecutor) {
      await withTimeout(executor.terminateWorkers(), 15_000, 'terminateWorkers()');
      const error = await stuck.exception();
      expect(error).toBeInstanceOf(BrokenProcessPool);
      expect((error as Error).message).toMatch(/terminateWorkers\(\)/);
      for (const future of handedAhead) {
        expect(await future.exception()).toBeInstanceOf(BrokenProcessPool);
      }
    } else {
      const error = await withTimeout(stuck.exception(), 15_000, 'the timed-out call');
      expect(error).toBeInstanceOf(TimeoutError);
      await withTimeout(executor.shutdown({ wait: true }), 15_000, 'shutdown({ wait: true })');
    }
    for (const future of cancelled) {
      await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
    }
    const runs = log.runs();
    for (let i = 1; i <= 10; i++) expect([i, runs.get(i) ?? 0]).toEqual([i, 0]);
    await expectNoWorkers(executor, [...ids, ...log.pids()]);
  });

  test('a call with a timeout that loops forever fails with TimeoutError; the next call runs on a fresh worker', async () => {
    const executor = makePool(kind, { maxWorkers: 1, endGraceMs: 200 });
    const log = new RunLog(kind, 8);
    const before = await executor.submit(workerId);
    const stuck = executor.schedule(spinForever, { args: [log.token, 0], timeout: 200 });
    const next = executor.submit(workerId);
    const error = await withTimeout(stuck.exception(), 15_000, 'the timed-out call');
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/spinForever/);
    expect((error as Error).message).toMatch(/200 ms/);
    const after = await withTimeout(next.result(), 15_000, 'the call after it');
    expect(after).not.toBe(before);
    expect(await executor.submit(workerId)).toBe(after);
    expect(executor.workerIds).toEqual([after]);
    if (kind === 'process') expect(await stillAliveAfter([before], 5_000)).toEqual([]);
    await withTimeout(executor.shutdown(), 15_000, 'shutdown()');
    await expectNoWorkers(executor, [before, after]);
  });

  test('calls ended on purpose never break the pool: timeout, signal, a worker that ignores SIGTERM, map callTimeout, cooperative end', async () => {
    const executor = makePool(kind, { maxWorkers: 2, endGraceMs: 150 });
    const log = new RunLog(kind, 8);
    const ids = new Set<number>();
    const remember = (): void => notePids(executor).forEach((id) => ids.add(id));

    // 1. A deadline, ended by force.
    const timedOut = executor.schedule(spinForever, { args: [log.token, 0], timeout: 100 });
    // 2. A signal aborted while the call runs.
    const controller = new AbortController();
    const aborted = executor.schedule(spinForever, {
      args: [log.token, 1],
      signal: controller.signal,
    });
    await until(() => (remember(), (log.runs().get(1) ?? 0) === 1), 'the aborted call to start');
    controller.abort(new Error('the user gave up'));
    expect(await withTimeout(timedOut.exception(), 15_000, 'timeout')).toBeInstanceOf(TimeoutError);
    expect(await aborted.exception()).toEqual(new Error('the user gave up'));

    // 3. A call whose worker ignores SIGTERM (processes; a thread's terminate() cannot be ignored).
    const stubborn = executor.schedule(
      async (): Promise<never> => {
        process.on('SIGTERM', () => {});
        for (;;) {
          // spin with SIGTERM ignored: only SIGKILL ends it
        }
      },
      { timeout: 100 },
    );
    expect(await withTimeout(stubborn.exception(), 15_000, 'stubborn')).toBeInstanceOf(
      TimeoutError,
    );

    // 4. map's callTimeout: the fast items, then TimeoutError at the slow one; the rest cancelled.
    const seen: number[] = [];
    const mapped = executor.map(
      async (ms: number) => {
        if (ms < 0) {
          for (;;) {
            // the slow item
          }
        }
        await new Promise((resolve) => setTimeout(resolve, ms));
        return ms;
      },
      [1, 2, -1, 3, 4, 5],
      { callTimeout: 1_500 }, // generous: the fast items must finish within it on a loaded machine
    );
    const mapError = await outcomeOf(
      (async () => {
        for await (const value of mapped) seen.push(value);
      })(),
    );
    expect(seen).toEqual([1, 2]);
    expect((mapError as { error: unknown }).error).toBeInstanceOf(TimeoutError);

    // 5. A call that stops by itself when its currentSignal() aborts.
    remember();
    const cooperative = executor.schedule(
      async (): Promise<string> => {
        const { currentSignal } = await import('concurrent-futures');
        await new Promise<void>((resolve) =>
          currentSignal().addEventListener('abort', () => resolve()),
        );
        return 'stopped';
      },
      { timeout: 100 },
    );
    expect(await withTimeout(cooperative.exception(), 15_000, 'cooperative')).toBeInstanceOf(
      TimeoutError,
    );

    // Never broken: the pool serves calls on fresh workers, and shuts down cleanly.
    remember();
    expect(
      await Promise.all([1, 2, 3].map((x) => executor.submit((n: number) => n * n, x))),
    ).toEqual([1, 4, 9]);
    remember();
    await withTimeout(executor.shutdown(), 20_000, 'shutdown()');
    await expectNoWorkers(executor, [...ids]);
  }, 60_000);

  test('shutdown() racing with submit() from done callbacks, timers and microtasks: each submit runs or throws, none is lost', async () => {
    const LIMIT = 60_000;
    for (const round of [
      { at: 'sync', cancelFutures: false },
      { at: 'callback', cancelFutures: false },
      { at: 'timer', cancelFutures: false },
      { at: 'callback', cancelFutures: true },
      { at: 'timer', cancelFutures: true },
    ] as const) {
      const executor = makePool(kind, { maxWorkers: 2 });
      const log = new RunLog(kind, LIMIT);
      const accepted: Array<{ index: number; future: Future<number> }> = [];
      const refused: Array<{ index: number; error: unknown; afterShutdown: boolean }> = [];
      let next = 0;
      let shutdownCalled = false;
      let shutdown: Promise<void> | undefined;
      const callShutdown = (): void => {
        if (shutdownCalled) return;
        shutdownCalled = true;
        shutdown = executor.shutdown({ wait: true, cancelFutures: round.cancelFutures });
      };
      const trySubmit = (): void => {
        if (next >= LIMIT) return; // a bound for the test only: shutdown() comes long before
        const index = next++;
        try {
          const future = executor.submit(task, log.token, index, 'value', 0);
          accepted.push({ index, future });
          future.addDoneCallback(() => {
            // Chains: each finished call submits another, until shutdown refuses it.
            trySubmit();
            if (round.at === 'callback' && accepted.length >= 60) callShutdown();
          });
        } catch (error) {
          refused.push({ index, error, afterShutdown: shutdownCalled });
        }
      };
      // Other async code submitting meanwhile: microtasks and immediates.
      let spinning = true;
      const spin = (): void => {
        if (!spinning) return;
        // Before shutdown, at most ~1,500 calls queued at once; after it, every attempt counts.
        if (shutdownCalled || accepted.length < 1_500) {
          trySubmit();
          queueMicrotask(trySubmit);
        }
        setImmediate(spin);
      };
      for (let i = 0; i < 20; i++) trySubmit();
      spin();
      if (round.at === 'sync') callShutdown();
      if (round.at === 'timer') setTimeout(callShutdown, 15);
      await until(() => shutdownCalled, 'shutdown() to be called', 15_000);
      await withTimeout(shutdown!, 30_000, `shutdown() (${JSON.stringify(round)})`);
      spinning = false;
      trySubmit(); // after shutdown resolved: refused too
      // Plain loops, one expect at the end: thousands of expect() calls would cost seconds here.
      const runs = log.runs();
      const problems: string[] = [];
      for (const { index, future } of accepted) {
        const ran = runs.get(index) ?? 0;
        if (!future.done()) problems.push(`call ${index} still pending after shutdown`);
        else if (future.cancelled()) {
          if (!round.cancelFutures) problems.push(`call ${index} cancelled without cancelFutures`);
          if (ran !== 0) problems.push(`call ${index} was cancelled yet ran ${ran} times`);
        } else {
          const error = await future.exception();
          if (error !== undefined) problems.push(`call ${index} failed: ${String(error)}`);
          else if ((await future.result()) !== index * 2)
            problems.push(`call ${index}: wrong result`);
          if (ran !== 1) problems.push(`call ${index} ran ${ran} times`);
        }
      }
      for (const { index, error, afterShutdown } of refused) {
        if (!afterShutdown)
          problems.push(`submit ${index} refused before shutdown(): ${String(error)}`);
        else if (!/shut ?down/i.test((error as Error).message)) {
          problems.push(`submit ${index} refused with ${String(error)}`);
        }
      }
      expect({ round, problems: problems.slice(0, 10) }).toEqual({ round, problems: [] });
      // Some submits came after shutdown(); every one was either accepted or refused: none lost.
      expect(refused.length).toBeGreaterThan(0);
      expect(accepted.length + refused.length).toBe(next);
      await expectNoWorkers(executor, [...log.pids()]);
    }
  }, 90_000);
});

test('thread pool: a thread that exceeds its resourceLimits fails that call with an out-of-memory error; the pool replaces it', async () => {
  const executor = makePool('thread', {
    maxWorkers: 2,
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  const log = new RunLog('thread', 64);
  const before = await executor.submit(workerId);
  const others = Array.from({ length: 30 }, (_, i) =>
    executor.submit(task, log.token, i, 'slow', 2),
  );
  const hog = executor.submit(() => {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(100_000).fill(hoard.length));
  });
  const more = Array.from({ length: 30 }, (_, i) =>
    executor.submit(task, log.token, 30 + i, 'slow', 2),
  );
  const error = await withTimeout(hog.exception(), 30_000, 'the call out of memory');
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(BrokenExecutor);
  expect((error as Error).message).toMatch(/out of memory/);
  expect(await Promise.all([...others, ...more])).toEqual(
    Array.from({ length: 60 }, (_, i) => i * 2),
  );
  const runs = log.runs();
  for (let i = 0; i < 60; i++) expect([i, runs.get(i)]).toEqual([i, 1]);
  expect(await executor.submit((x: number) => x - 1, 1)).toBe(0);
  const ids = [...executor.workerIds, before];
  await withTimeout(executor.shutdown(), 20_000, 'shutdown()');
  expect(executor.workerIds).toEqual([]);
  await until(() => !liveThreadIds().some((id) => ids.includes(id)), 'the threads to be gone');
}, 60_000);

test('process pool: a child out of memory breaks the pool with BrokenProcessPool, and nothing hangs', async () => {
  const executor = makePool('process', { maxWorkers: 1, execArgv: ['--max-old-space-size=32'] });
  const hog = executor.submit(() => {
    const hoard: unknown[] = [];
    for (;;) hoard.push(Array.from({ length: 1e5 }, (_, i) => ({ i })));
  });
  const queued = Array.from({ length: 5 }, (_, i) => executor.submit((x: number) => x, i));
  await null; // forked in the dispatch microtask: read before the child can die and break the pool
  const ids = notePids(executor);
  expect(ids).toHaveLength(1);
  for (const future of [hog, ...queued]) {
    expect(
      await withTimeout(future.exception(), 30_000, 'a future of the broken pool'),
    ).toBeInstanceOf(BrokenProcessPool);
  }
  await withTimeout(executor.shutdown(), 15_000, 'shutdown()');
  expect(await stillAliveAfter(ids, 5_000)).toEqual([]);
}, 60_000);

describe('the parent process dies: no child and no orphaned work survive it', () => {
  const FIXTURE = join(HERE, 'fixtures', 'orphan-work.mjs');

  test.each([
    ['process', 'SIGKILL'],
    ['process', 'exit'],
    ['thread', 'SIGKILL'],
  ] as const)(
    '%s pool, parent ended by %s',
    async (kind, how) => {
      const file = join(scratchDir(), 'work.log');
      const run = runNode([FIXTURE, kind, file, how]);
      const { pids } = JSON.parse(await run.line(/"pids"/, 30_000)) as { pids: number[] };
      trackPids(pids);
      if (kind === 'process') expect(pids).toHaveLength(2);
      // Both calls run and write: one async, ticking from timers; one stuck in a synchronous loop.
      await until(
        () => readLines(file).filter((line) => line.startsWith('tick')).length >= 4,
        'both calls to be working',
      );
      if (how === 'SIGKILL') process.kill(run.child.pid!, 'SIGKILL');
      await until(
        () => run.child.exitCode !== null || run.child.signalCode !== null,
        'the parent to exit',
      );
      if (kind === 'process') {
        // The children notice (disconnect, or the guard for the stuck one) within ~1 s.
        expect(await stillAliveAfter(pids, 10_000)).toEqual([]);
      }
      // No orphaned work: the log stops growing, and the queued calls never start.
      await sleep(300);
      const settled = readLines(file).length;
      await sleep(1_000);
      const lines = readLines(file);
      expect(lines.length).toBe(settled);
      expect(lines.filter((line) => line.startsWith('queued'))).toEqual([]);
    },
    60_000,
  );

  // A child stuck before the pool's entry (a preload that blocks; --inspect-brk waiting for a
  // debugger) has neither its channel's end nor its guard shell: it outlived such a parent.
  test.each(['exit', 'throw'])(
    'a child stuck before its entry, parent ended by %s',
    async (how) => {
      const run = runNode([join(HERE, 'fixtures', 'exit-with-stuck-child.mjs'), how]);
      const pid = Number(/child (\d+)/.exec(await run.line(/^child \d+/, 30_000))![1]);
      trackPids([pid]);
      await until(
        () => run.child.exitCode !== null || run.child.signalCode !== null,
        'the parent to exit',
      );
      expect(run.child.exitCode).toBe(how === 'exit' ? 3 : 1);
      expect(await stillAliveAfter([pid], 5_000)).toEqual([]);
    },
    60_000,
  );
});
