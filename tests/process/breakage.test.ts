// A child that dies abruptly breaks the pool, as in Python: every pending and running future
// fails with BrokenProcessPool naming the pid and the exit code or signal, submit throws it, the
// other children are ended and nothing hangs. terminateWorkers() / killWorkers() end every child
// on purpose: calls not started are cancelled, running ones fail, the pool is shut down.

import { join } from 'node:path';
import { BrokenExecutor, BrokenProcessPool, CancelledError, type Future } from 'concurrent-futures';
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

/** Writes this child's pid to `file`, then spins forever (only a signal ends it). */
async function spinForever(file: string): Promise<never> {
  const { appendFileSync } = await import('node:fs');
  appendFileSync(file, `${process.pid}\n`);
  for (;;) {
    // while (true) {}: never yields to the child's event loop again
  }
}

/** Writes this child's pid to `file`, then dies the way `how` says. */
async function die(how: string, file: string): Promise<unknown> {
  const { appendFileSync } = await import('node:fs');
  appendFileSync(file, `${process.pid}\n`);
  if (how === 'exit') process.exit(1);
  if (how === 'SIGKILL') process.kill(process.pid, 'SIGKILL');
  if (how === 'uncaught') {
    setTimeout(() => {
      throw new Error('thrown outside any call, on purpose (the pool should break)');
    }, 10);
    return new Promise(() => {}); // the call itself never settles
  }
  if (how === 'oom') {
    const hoard: unknown[] = [];
    for (;;) hoard.push(Array.from({ length: 1e5 }, (_, i) => ({ i })));
  }
  throw new Error(`unknown way to die: ${how}`);
}

const deaths = [
  { how: 'exit', execArgv: undefined, expected: /exited with code 1\b/ },
  { how: 'SIGKILL', execArgv: undefined, expected: /signal SIGKILL\b/ },
  { how: 'uncaught', execArgv: undefined, expected: /exited with code 1\b/ },
  // V8 aborts on out of memory: SIGABRT (an exit code of 134 where the signal is not reported).
  {
    how: 'oom',
    execArgv: ['--max-old-space-size=32'],
    expected: /signal SIGABRT\b|exited with code 134\b/,
  },
];

describe.each(deaths)('a child that dies ($how)', ({ how, execArgv, expected }) => {
  test('breaks the pool: every pending and running future fails with BrokenProcessPool naming its pid and how it ended', async () => {
    const ex = pool({ maxWorkers: 2, execArgv });
    const dir = scratchDir();
    const spinning = join(dir, 'spinning');
    const dying = join(dir, 'dying');
    // The other child is busy forever: breakage must end it, and shutdown() must not wait for it.
    const stuck = ex.submit(spinForever, spinning);
    const doomed = ex.submit(die, how, dying);
    const queued = Array.from({ length: 4 }, (_, i) => ex.submit((n: number) => n, i));
    // Forked in the dispatch microtask: read at once, before the dying child can break the pool
    // (a poll could come too late on a loaded machine, and find it broken and empty).
    await null;
    const pids = ex.workerIds;
    expect(pids).toHaveLength(2);

    const all: Future<unknown>[] = [stuck, doomed, ...queued];
    const errors = await withTimeout(
      Promise.all(all.map((future) => future.exception())),
      30_000,
      'the futures of the broken pool',
    );
    const [dyingPid] = readLines(dying).map(Number);
    expect(pids).toContain(dyingPid);
    for (const error of errors) {
      expect(error).toBeInstanceOf(BrokenProcessPool);
      expect(error).toBeInstanceOf(BrokenExecutor);
      expect((error as Error).message).toContain(`pid ${dyingPid}`);
      expect((error as Error).message).toMatch(expected);
    }
    for (const future of all) expect([future.done(), future.cancelled()]).toEqual([true, false]);
    // Those never handed to a child say so (safe to submit again); at most one call per busy child
    // was handed ahead (a function not yet seen fast), so at least two of the four never started.
    const notStarted = /This call had not started: it can be submitted again/;
    expect(errors.slice(0, 2).filter((error) => notStarted.test((error as Error).message))).toEqual(
      [],
    );
    expect(
      errors.slice(2).filter((error) => notStarted.test((error as Error).message)).length,
    ).toBeGreaterThanOrEqual(2);

    // submit throws it, before and after shutdown; shutdown does not wait for the spinning child.
    expect(() => ex.submit(() => 1)).toThrow(BrokenProcessPool);
    expect(() => ex.submit(() => 1)).toThrow(new RegExp(`pid ${dyingPid}`));
    await withTimeout(ex.shutdown(), 10_000, 'shutdown() of the broken pool');
    expect(() => ex.submit(() => 1)).toThrow(BrokenProcessPool);
    expect(await stillAliveAfter(pids, 3000)).toEqual([]);
    expect(ex.workerIds).toEqual([]);
  });
});

test('a pool broken while idle children wait ends them too, and shutdown() resolves', async () => {
  const ex = pool({ maxWorkers: 2 });
  // Warm up both children, then let them go idle.
  const gate = join(scratchDir(), 'gate');
  const warm = [1, 2].map(() =>
    ex.submit(async (file: string) => {
      const { existsSync } = await import('node:fs');
      while (!existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 10));
      return process.pid;
    }, gate),
  );
  await until(() => ex.workerIds.length === 2);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(gate, '');
  const pids = await Promise.all(warm);
  expect(new Set(pids).size).toBe(2);
  const error = await ex
    .submit(() => {
      process.exit(3);
    })
    .exception();
  expect(error).toBeInstanceOf(BrokenProcessPool);
  expect((error as Error).message).toMatch(/exited with code 3\b/);
  await withTimeout(ex.shutdown(), 10_000, 'shutdown() of the broken pool');
  expect(await stillAliveAfter(pids, 3000)).toEqual([]);
});

test('a call’s own error, however thrown, does not break the pool', async () => {
  const ex = pool({ maxWorkers: 1 });
  const pid = await ex.submit(() => process.pid);
  await expect(
    ex.submit(() => {
      throw new Error('an ordinary failure');
    }),
  ).rejects.toThrow('an ordinary failure');
  await expect(ex.submit(() => Promise.reject(new TypeError('rejected')))).rejects.toThrow(
    'rejected',
  );
  expect(await ex.submit(() => process.pid)).toBe(pid);
  await ex.shutdown();
});

test('an idle child killed from outside breaks the pool, and the message says it was idle', async () => {
  const ex = pool({ maxWorkers: 1 });
  const pid = await ex.submit(() => process.pid);
  process.kill(pid, 'SIGKILL');
  await until(() => ex.workerIds.length === 0, 10_000, 'the child to be gone');
  let refused: unknown;
  await until(
    () => {
      try {
        ex.submit(() => 1).cancel();
        return false;
      } catch (error) {
        refused = error;
        return true;
      }
    },
    10_000,
    'submit() to refuse the broken pool',
  );
  expect(refused).toBeInstanceOf(BrokenProcessPool);
  expect((refused as Error).message).toContain(`pid ${pid}`);
  expect((refused as Error).message).toContain('killed by signal SIGKILL while it was idle');
  expect((refused as Error).message).not.toContain('while calls were pending or running');
  await withTimeout(ex.shutdown(), 10_000, 'shutdown() of the broken pool');
});

describe.each(['terminateWorkers', 'killWorkers'] as const)('%s()', (method) => {
  test('ends every child at once: queued calls cancelled, running ones fail with BrokenProcessPool; the pool is shut down', async () => {
    const ex = pool({ maxWorkers: 2 });
    const spinning = join(scratchDir(), 'spinning');
    const running = [ex.submit(spinForever, spinning), ex.submit(spinForever, spinning)];
    const queued = Array.from({ length: 5 }, (_, i) => ex.submit((n: number) => n, i));
    // Forked in the dispatch microtask: read at once, before the dying child can break the pool
    // (a poll could come too late on a loaded machine, and find it broken and empty).
    await null;
    const pids = ex.workerIds;
    expect(pids).toHaveLength(2);
    // Both children are inside their endless loops.
    await until(() => readLines(spinning).length === 2, 20_000, 'both calls to start');

    // Calls handed ahead to a child count as running; those still in the pool's queue do not.
    const handedAhead = queued.filter((future) => future.running());
    const notStarted = queued.filter((future) => !future.running());
    expect(handedAhead.length).toBeLessThanOrEqual(2);

    await withTimeout(ex[method](), 10_000, `${method}()`);
    // Resolves once every child has exited: they are gone already.
    expect(pids.filter((pid) => readLines(spinning).includes(String(pid)))).toHaveLength(2);
    expect(await stillAliveAfter(pids, 0)).toEqual([]);
    expect(ex.workerIds).toEqual([]);

    for (const future of [...running, ...handedAhead]) {
      const error = await future.exception();
      expect(error).toBeInstanceOf(BrokenProcessPool);
      expect((error as Error).message).toContain(`${method}()`);
    }
    for (const future of notStarted) {
      expect(future.cancelled()).toBe(true);
      await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
    }
    expect(notStarted.length).toBeGreaterThanOrEqual(3);
    expect(() => ex.submit(() => 1)).toThrow(/shut ?down/i);
    // Idempotent.
    await withTimeout(ex[method](), 5_000, `a second ${method}()`);
    await withTimeout(ex.shutdown(), 5_000, 'shutdown() after it');
  });

  test(`sends ${method === 'terminateWorkers' ? 'SIGTERM (a handler sees it)' : 'SIGKILL (no handler runs)'}`, async () => {
    const ex = pool({ maxWorkers: 1 });
    const file = join(scratchDir(), 'signals');
    const call = ex.submit(async (log: string) => {
      const { appendFileSync } = await import('node:fs');
      process.on('SIGTERM', () => {
        appendFileSync(log, 'SIGTERM\n');
        process.exit(0);
      });
      appendFileSync(log, 'waiting\n');
      return new Promise(() => {});
    }, file);
    await until(
      () => readLines(file).includes('waiting'),
      15_000,
      'the call to install its handler',
    );
    await withTimeout(ex[method](), 10_000, `${method}()`);
    expect(await call.exception()).toBeInstanceOf(BrokenProcessPool);
    expect(readLines(file)).toEqual(
      method === 'terminateWorkers' ? ['waiting', 'SIGTERM'] : ['waiting'],
    );
  });

  test.each(['ignores SIGTERM', 'is stopped (SIGSTOP)'] as const)(
    'resolves when a child %s: SIGKILL follows endGraceMs later',
    async (how) => {
      const ex = pool({ maxWorkers: 1, endGraceMs: 200 });
      const file = join(scratchDir(), 'deaf');
      const call = ex.submit(
        async (log: string, stop: boolean) => {
          const { appendFileSync } = await import('node:fs');
          process.on('SIGTERM', () => undefined);
          appendFileSync(log, `${process.pid}\n`);
          if (stop) process.kill(process.pid, 'SIGSTOP');
          for (;;); // deaf to SIGTERM: only SIGKILL ends it
        },
        file,
        how === 'is stopped (SIGSTOP)',
      );
      await until(() => readLines(file).length === 1, 15_000, 'the call to start');
      const pid = Number(readLines(file)[0]);
      await withTimeout(ex[method](), 10_000, `${method}() on a child that ${how}`);
      expect(await call.exception()).toBeInstanceOf(BrokenProcessPool);
      expect(await stillAliveAfter([pid], 0)).toEqual([]);
    },
  );

  test('fails the calls a child handed back, and starts no child after it', async () => {
    // Calls a child hands back (they were behind a call far past its function's usual time) wait
    // in the pool's queue, RUNNING, for a free child: they once outlived the ending, and a child
    // started after it ran them. The window is short (until the child that gave them back has
    // exited and another has started), so the scenario runs a few times.
    // Two functions (a function is known by its source text): each is timed on its own.
    function spin(ms: number): number {
      const end = Date.now() + ms;
      while (Date.now() < end);
      return process.pid;
    }
    function spinElsewhere(ms: number): number {
      const end = Date.now() + ms;
      while (Date.now() < end);
      return process.pid;
    }
    for (let round = 0; round < 3; round++) {
      const ex = pool({ maxWorkers: 2, maxTasksPerChild: 12 });
      await Promise.all([ex.submit(spin, 0), ex.submit(spin, 0)]); // spin is measured fast
      const slow = ex.submit(spinElsewhere, 3000); // holds one child alone
      await until(() => ex.stats().workers.busy === 1, 10_000, 'the slow call to start');
      // The other child takes spin(300) and fast calls behind it, which it hands back when
      // spin(300) ends (4x past its usual time). The ending comes right after that result, and so
      // right after the hand-back the child sends with it.
      let startedBefore = new Set<number>();
      let ended: Promise<void> | undefined;
      const long = ex.submit(spin, 300);
      long.addDoneCallback(() =>
        setImmediate(() => {
          startedBefore = new Set(ex.workerIds);
          ended = ex[method]();
        }),
      );
      const behind = Array.from({ length: 10 }, () => ex.submit(spin, 0));
      await until(() => ended !== undefined, 15_000, 'spin(300) to end');
      await withTimeout(ended!, 15_000, `${method}()`);
      // Each finished before the ending, on a child started before it; else failed, or cancelled.
      const settled = (future: Future<number>): Promise<unknown> =>
        future.cancelled() ? Promise.resolve('cancelled') : future.exception();
      for (const future of [slow, ...behind]) {
        const error = await withTimeout(settled(future), 15_000, 'every future to settle');
        if (error === undefined) expect(startedBefore.has(await future)).toBe(true);
        else if (error !== 'cancelled') expect(error).toBeInstanceOf(BrokenProcessPool);
      }
      expect(ex.workerIds).toEqual([]);
    }
  });

  test('on an idle pool resolves once its children have exited', async () => {
    const ex = pool({ maxWorkers: 2 });
    const pids = await Promise.all(
      [30, 60].map((ms) =>
        ex.submit(
          async (wait: number) => (await new Promise((r) => setTimeout(r, wait)), process.pid),
          ms,
        ),
      ),
    );
    expect(new Set(pids).size).toBe(2);
    await withTimeout(ex[method](), 10_000, `${method}()`);
    expect(await stillAliveAfter(pids, 0)).toEqual([]);
  });
});
