// minWorkers and idleTimeout on both pools, on real threads and processes: warm workers started at
// construction and kept while idle, idle workers beyond minWorkers let go, neither keeping the
// process alive, and the options checked as every other.

import {
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  type ProcessPoolExecutorOptions,
  type ThreadPoolExecutorOptions,
} from 'concurrent-futures';
import { DIST_URL, runChild, sleep, until } from '../thread/helpers.js';
import { gated, newGate, openGate, openGatesAfterEach, startedAt } from '../dispatch/support.js';

openGatesAfterEach();

type Options = ThreadPoolExecutorOptions & ProcessPoolExecutorOptions;
const kinds: Array<[string, (options: Options) => ThreadPoolExecutor | ProcessPoolExecutor]> = [
  ['ThreadPoolExecutor', (options) => new ThreadPoolExecutor(options)],
  ['ProcessPoolExecutor', (options) => new ProcessPoolExecutor(options)],
];

const spin = (ms: number): number => {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return ms;
};

describe.each(kinds)('%s', (name, make) => {
  test('minWorkers: that many workers start at construction, before any call', async () => {
    const executor = make({ maxWorkers: 3, minWorkers: 2 });
    expect(executor.workerIds).toHaveLength(2);
    expect(executor.stats().workers).toEqual({ alive: 2, busy: 0 });
    // They are real and ready: the first calls run on them, without starting a third.
    const ids = executor.workerIds;
    await Promise.all([executor.submit(spin, 100), executor.submit(spin, 100)]);
    expect(executor.workerIds.sort()).toEqual(ids.sort());
    await executor.shutdown();
    expect(executor.workerIds).toHaveLength(0);
  });

  test('default minWorkers 0: no worker before the first call (lazy, as Python)', async () => {
    const executor = make({ maxWorkers: 2 });
    await sleep(50);
    expect(executor.workerIds).toHaveLength(0);
    await executor.shutdown();
  });

  test('idleTimeout: idle workers beyond minWorkers exit, minWorkers stay', async () => {
    const executor = make({ maxWorkers: 3, minWorkers: 1, idleTimeout: 100 });
    // The three calls wait at a gate (see tests/dispatch/support.ts), so all three are running on
    // three workers when counted: a worker that finished first could else be stopped by its idle
    // clock before the last one had started (workers of a loaded machine get ready far apart).
    const gate = newGate(name);
    const calls = [1, 2, 3].map(() => executor.submit(gated, 0, gate));
    await until(() => startedAt(gate) === 3, 'the three calls started');
    expect(executor.workerIds).toHaveLength(3);
    openGate(gate);
    await Promise.all(calls);
    await until(() => executor.workerIds.length === 1, 'the idle workers beyond minWorkers exited');
    await sleep(400); // several idleTimeouts later, the warm one is still there
    expect(executor.workerIds).toHaveLength(1);
    // The pool still works, and grows again.
    expect(await Promise.all([executor.submit(spin, 1), executor.submit(spin, 1)])).toEqual([1, 1]);
    await executor.shutdown();
  });

  test('idleTimeout with minWorkers 0: an idle pool ends up with no worker', async () => {
    const executor = make({ maxWorkers: 2, idleTimeout: 50 });
    await executor.submit(spin, 1);
    await until(() => executor.workerIds.length === 0, 'every idle worker exited');
    expect(await executor.submit(spin, 2)).toBe(2); // started again on demand
    await executor.shutdown();
  });

  test('a worker that is busy is not ended by idleTimeout', async () => {
    const executor = make({ maxWorkers: 1, idleTimeout: 30 });
    await executor.submit(spin, 1); // idle: its timer is armed
    const id = executor.workerIds[0];
    expect(await executor.submit(spin, 200)).toBe(200); // runs past the idleTimeout
    expect(executor.workerIds).toEqual([id]);
    await executor.shutdown();
  });

  test('warm idle workers do not keep the process alive', async () => {
    const run = await runChild(
      {
        'main.mjs': `
          import { ${name} } from ${JSON.stringify(DIST_URL)};
          const executor = new ${name}({ maxWorkers: 2, minWorkers: 2, idleTimeout: 100000 });
          console.log(await executor.submit((x) => x + 1, 41));
          console.log(executor.workerIds.length);
        `,
      },
      'main.mjs',
    );
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull(); // not killed after the time limit: it exited by itself
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(['42', '2']);
  });

  // A worker stopped by its idle clock is on its way out: its exit must still be awaited, by a
  // shutdown() and by a call queued for its place. Both used to find it unref'd, and the process
  // ended under the pending promise (exit code 13 for an unsettled top-level await).
  test('a shutdown() or a call that comes while idleTimeout is stopping the worker still completes', async () => {
    const run = await runChild(
      {
        'main.mjs': `
          import { ${name} } from ${JSON.stringify(DIST_URL)};
          import { setTimeout as sleep } from 'node:timers/promises';
          for (const delay of [0, 1, 2, 5]) {
            const forShutdown = new ${name}({ maxWorkers: 1, idleTimeout: 0 });
            await forShutdown.submit((x) => x + 1, 1);
            await sleep(delay); // the idle check has stopped the worker, which is still exiting
            await forShutdown.shutdown();
            console.log('shutdown', delay);
            const forCall = new ${name}({ maxWorkers: 1, idleTimeout: 0 });
            await forCall.submit((x) => x + 1, 1);
            await sleep(delay);
            console.log('call', delay, await forCall.submit((x) => x * 2, 21));
            await forCall.shutdown();
          }
        `,
      },
      'main.mjs',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(
      [0, 1, 2, 5].flatMap((delay) => [`shutdown ${delay}`, `call ${delay} 42`]),
    );
  });

  test('validation: minWorkers and idleTimeout, each error naming its option', () => {
    for (const bad of [-1, 1.5, NaN]) {
      expect(() => make({ minWorkers: bad })).toThrow(RangeError);
      expect(() => make({ minWorkers: bad })).toThrow(/minWorkers/);
    }
    for (const bad of ['1', true, {}]) {
      expect(() => make({ minWorkers: bad as never })).toThrow(TypeError);
      expect(() => make({ minWorkers: bad as never })).toThrow(/minWorkers/);
    }
    expect(() => make({ maxWorkers: 2, minWorkers: 3 })).toThrow(RangeError);
    expect(() => make({ maxWorkers: 2, minWorkers: 3 })).toThrow(/minWorkers.*maxWorkers/);
    for (const bad of [-1, NaN]) {
      expect(() => make({ idleTimeout: bad })).toThrow(RangeError);
      expect(() => make({ idleTimeout: bad })).toThrow(/idleTimeout/);
    }
    expect(() => make({ idleTimeout: '10' as never })).toThrow(TypeError);
    expect(() => make({ idleTimeout: '10' as never })).toThrow(/idleTimeout/);
    // Unknown keys are still refused, and the new ones are known.
    expect(() => make({ minWorker: 1 } as never)).toThrow(/minWorker/);
    expect(() => make({ idletimeout: 1 } as never)).toThrow(TypeError);
  });

  test('null and undefined mean the defaults', async () => {
    const executor = make({ minWorkers: null, idleTimeout: null, maxWorkers: 1 });
    expect(executor.workerIds).toHaveLength(0);
    await executor.shutdown();
  });
});
